/** Helpers for the agent, SVID and authorized-entry API tests. */
import '../../../support/pki.js';
import { generateKeyPairSync, type KeyObject, webcrypto } from 'node:crypto';
import { create } from '@bufbuild/protobuf';
import { type Client, ConnectError } from '@connectrpc/connect';
import * as x509 from '@peculiar/x509';
import { expect } from 'vitest';
import {
  type Agent,
  type AttestAgentRequest,
  AttestAgentRequestSchema,
  type AttestAgentResponse_Result,
} from '../../../../src/gen/spire/api/server/agent/v1/agent_pb.js';
import { PermissionDeniedDetailsSchema } from '../../../../src/gen/spire/api/types/status_pb.js';
import type { HarnessSvid } from '../../../support/server-harness.js';

const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

/** A P-256 CSR (DER) for a fresh key, optionally asking for URI and DNS SANs. */
export async function makeCsr(o: { uris?: string[]; dns?: string[]; subject?: string } = {}) {
  const keys = (await webcrypto.subtle.generateKey(EC, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  const names = [
    ...(o.uris ?? []).map((value) => ({ type: 'url' as const, value })),
    ...(o.dns ?? []).map((value) => ({ type: 'dns' as const, value })),
  ];
  const extensions = names.length ? [new x509.SubjectAlternativeNameExtension(names)] : [];
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: o.subject ?? 'CN=test',
    keys,
    signingAlgorithm: EC,
    extensions,
  });
  const spki = Buffer.from(await webcrypto.subtle.exportKey('spki', keys.publicKey));
  return { der: new Uint8Array(csr.rawData), keys, spki };
}

/** A fresh P-256 public key (for signing paths that do not need a CSR). */
export function publicKey(): KeyObject {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
}

/** Asserts a ConnectError's code and exact message (and PermissionDenied reason, when given). */
export async function expectRpcError(
  call: Promise<unknown> | (() => Promise<unknown>),
  code: number,
  message: string,
  reason?: number,
): Promise<ConnectError> {
  let caught: unknown;
  try {
    await (typeof call === 'function' ? call() : call);
  } catch (err) {
    caught = err;
  }
  expect(caught, `expected ${message}`).toBeInstanceOf(ConnectError);
  const err = caught as ConnectError;
  expect({ code: err.code, message: err.rawMessage }).toEqual({ code, message });
  if (reason !== undefined) {
    const details = err.findDetails(PermissionDeniedDetailsSchema);
    expect(details.map((d) => d.reason)).toEqual([reason]);
  }
  return err;
}

/** Anything with the generated Agent client's attestAgent method. */
type AgentClient = Pick<Client<typeof Agent>, 'attestAgent'>;

/**
 * Runs one AttestAgent stream: sends the params, answers each challenge with `respond`, and
 * resolves with the result.
 */
export async function attest(
  client: AgentClient,
  o: {
    type: string;
    payload: Uint8Array;
    csr: Uint8Array;
    respond?: (challenge: Uint8Array) => Promise<Uint8Array>;
  },
): Promise<AttestAgentResponse_Result> {
  const requests = new RequestQueue();
  requests.push(
    create(AttestAgentRequestSchema, {
      step: {
        case: 'params',
        value: { data: { type: o.type, payload: o.payload }, params: { csr: o.csr } },
      },
    }),
  );
  try {
    for await (const res of client.attestAgent(requests)) {
      if (res.step.case === 'result') return res.step.value;
      if (res.step.case === 'challenge') {
        if (!o.respond) throw new Error('unexpected challenge');
        const value = await o.respond(res.step.value);
        requests.push(
          create(AttestAgentRequestSchema, { step: { case: 'challengeResponse', value } }),
        );
      }
    }
  } finally {
    requests.end();
  }
  throw new Error('stream ended without a result');
}

/** A request stream the test feeds as the conversation goes. */
export class RequestQueue<T = AttestAgentRequest> implements AsyncIterable<T> {
  readonly #items: T[] = [];
  #ended = false;
  #wake: (() => void) | undefined;

  push(item: T): void {
    this.#items.push(item);
    this.#wake?.();
  }

  end(): void {
    this.#ended = true;
    this.#wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    for (;;) {
      const item = this.#items.shift();
      if (item !== undefined) {
        yield item;
      } else if (this.#ended) {
        return;
      } else {
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
        });
      }
    }
  }
}

/** The serial of a DER certificate in the attested-node form: lower-case hex, no leading 0. */
export function serialOf(der: Uint8Array): string {
  const cert = new x509.X509Certificate(der);
  return BigInt(`0x${cert.serialNumber}`).toString(16);
}

/** The URI SANs of a DER certificate. */
export function urisOf(der: Uint8Array): string[] {
  const cert = new x509.X509Certificate(der);
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  return (san?.names.items ?? []).filter((n) => n.type === 'url').map((n) => n.value);
}

/** The SVID an attestation or renewal returned, with its key, as the harness presents SVIDs. */
export async function presentable(
  svid: { certChain: Uint8Array[]; expiresAt: bigint } | undefined,
  keys: webcrypto.CryptoKeyPair,
): Promise<HarnessSvid> {
  if (!svid) throw new Error('no svid in the answer');
  const leaf = svid.certChain[0] as Uint8Array;
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  return {
    id: urisOf(leaf)[0] ?? '',
    certPem: svid.certChain.map((d) => pem(d)).join(''),
    keyPem: pem(pkcs8, 'PRIVATE KEY'),
    serial: serialOf(leaf),
    notAfterMs: Number(svid.expiresAt) * 1000,
  };
}

function pem(der: Uint8Array, label = 'CERTIFICATE'): string {
  const b64 =
    Buffer.from(der)
      .toString('base64')
      .match(/.{1,64}/g)
      ?.join('\n') ?? '';
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}
