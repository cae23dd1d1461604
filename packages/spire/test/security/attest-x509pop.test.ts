/**
 * AttestAgent with x509pop as a hostile node would call it: a chain padded with thousands of
 * certificates (SPIRE 1.13.4/1.14.2 fixed an x509pop CPU-exhaustion DoS), and a challenge
 * answered with another key or with garbage (field notes §4.3, §4.4).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Code } from '@connectrpc/connect';
import { verifyCertificatePath } from '@spire-ts/spiffe';
import { afterAll, afterEach, beforeAll, beforeEach, describe, it } from 'vitest';
import { withSubjectKey } from '../../../spiffe/test/support/infinity-key.js';
import {
  AgentX509PopAttestor,
  parseAgentX509PopConfig,
} from '../../src/agent/plugin/nodeattestor/x509pop/x509pop.js';
import { realClock } from '../../src/common/clock/index.js';
import { marshalAttestationData } from '../../src/common/plugin/x509pop/protocol.js';
import { Agent } from '../../src/gen/spire/api/server/agent/v1/agent_pb.js';
import { createAgentService } from '../../src/server/api/agent/service.js';
import { parseX509PopConfig } from '../../src/server/plugin/nodeattestor/x509pop/config.js';
import {
  MAX_CHAIN_CERTIFICATES,
  X509PopAttestor,
} from '../../src/server/plugin/nodeattestor/x509pop/x509pop.js';
import { attest, expectRpcError, makeCsr } from '../server/api/attestation/support.js';
import { makeCert, type TestCert } from '../support/pki.js';
import { type ServerHarness, startServerHarness } from '../support/server-harness.js';

const DAY = 86_400_000;
let dir: string;
let root: TestCert;
let leaf: TestCert;
let impostor: TestCert;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sec-x509pop-'));
  const notBefore = new Date(Date.now() - DAY);
  const notAfter = new Date(Date.now() + DAY);
  root = await makeCert({ subject: 'CN=Node Root', ca: true, notBefore, notAfter });
  leaf = await makeCert({ subject: 'CN=node-1', issuer: root, notBefore, notAfter });
  impostor = await makeCert({ subject: 'CN=node-1', issuer: root, notBefore, notAfter });
  writeFileSync(join(dir, 'root.pem'), root.pem);
  writeFileSync(join(dir, 'leaf.pem'), leaf.pem);
  writeFileSync(join(dir, 'leaf.key'), leaf.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  writeFileSync(
    join(dir, 'other.key'),
    impostor.privateKey.export({ type: 'pkcs8', format: 'pem' }),
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let h: ServerHarness;
beforeEach(async () => {
  const x509pop = new X509PopAttestor({
    trustDomain: 'example.org',
    config: parseX509PopConfig({ ca_bundle_path: join(dir, 'root.pem') }),
    clock: realClock,
    verifyChain: verifyCertificatePath,
  });
  h = await startServerHarness({
    services: (ctx) => [[Agent, createAgentService(ctx)]],
    nodeAttestors: [x509pop],
  });
});
afterEach(() => h.close());

const agentWithKey = (key: string) =>
  new AgentX509PopAttestor(
    parseAgentX509PopConfig({
      private_key_path: join(dir, key),
      certificate_path: join(dir, 'leaf.pem'),
    }),
  );

describe('AttestAgent x509pop: hostile chains', () => {
  it(`a chain of more than ${MAX_CHAIN_CERTIFICATES} certificates is refused before any is parsed`, async () => {
    const padded = [leaf, ...Array.from({ length: 4000 }, () => root)].map(
      (c) => new Uint8Array(c.cert.raw),
    );
    await expectRpcError(
      attest(h.anonymous(Agent), {
        type: 'x509pop',
        payload: marshalAttestationData({ certificates: padded }),
        csr: (await makeCsr()).der,
      }),
      Code.InvalidArgument,
      `x509pop: attestation data has 4001 certificates; at most ${MAX_CHAIN_CERTIFICATES} ` +
        '(the leaf and its intermediates) are accepted',
    );
  });

  it(`a chain of exactly ${MAX_CHAIN_CERTIFICATES} certificates is still verified`, async () => {
    const padded = [leaf, ...Array.from({ length: MAX_CHAIN_CERTIFICATES - 1 }, () => root)];
    const agent = agentWithKey('leaf.key');
    const result = await attest(h.anonymous(Agent), {
      type: 'x509pop',
      payload: marshalAttestationData({
        certificates: padded.map((c) => new Uint8Array(c.cert.raw)),
      }),
      csr: (await makeCsr()).der,
      respond: (c) => agent.respond(c),
    });
    if (!result.svid) throw new Error('no SVID');
  });
});

describe('AttestAgent x509pop: a public key at the ec point at infinity', () => {
  // Node 20 aborts the whole process when it reads such a key's curve (which the ECDSA check of
  // the challenge response did): the chain must be refused before that, and the server live on.
  const infinityLeaf = () => new Uint8Array(withSubjectKey(leaf.cert, root.privateKey).raw);

  it('a leaf certificate signed by the CA is refused, and the server keeps serving', async () => {
    await expectRpcError(
      attest(h.anonymous(Agent), {
        type: 'x509pop',
        payload: marshalAttestationData({ certificates: [infinityLeaf()] }),
        csr: (await makeCsr()).der,
        respond: (c) => agentWithKey('leaf.key').respond(c),
      }),
      Code.InvalidArgument,
      'x509pop: leaf certificate public key is the ec point at infinity',
    );

    const agent = agentWithKey('leaf.key');
    const result = await attest(h.anonymous(Agent), {
      type: 'x509pop',
      payload: await agent.payload(),
      csr: (await makeCsr()).der,
      respond: (c) => agent.respond(c),
    });
    if (!result.svid) throw new Error('no SVID after the refused attempt');
  });

  it('an intermediate is refused by name', async () => {
    await expectRpcError(
      attest(h.anonymous(Agent), {
        type: 'x509pop',
        payload: marshalAttestationData({
          certificates: [new Uint8Array(leaf.cert.raw), infinityLeaf()],
        }),
        csr: (await makeCsr()).der,
      }),
      Code.InvalidArgument,
      'x509pop: intermediate certificate 0 public key is the ec point at infinity',
    );
  });
});

describe('AttestAgent x509pop: hostile challenge responses', () => {
  const cases: [string, (challenge: Uint8Array) => Promise<Uint8Array>, string][] = [
    [
      'signed with another key than the leaf certificate',
      (c) => agentWithKey('other.key').respond(c),
      'x509pop: challenge response verification failed: ECDSA signature verify failed',
    ],
    [
      'that is not JSON',
      async () => new TextEncoder().encode('{"ecdsa_signature":'),
      'x509pop: challenge response verification failed: failed to unmarshal challenge response: not JSON',
    ],
    [
      'that is empty',
      async () => new Uint8Array(),
      'x509pop: challenge response verification failed: failed to unmarshal challenge response: not JSON',
    ],
  ];
  it.each(cases)('a response %s is PermissionDenied', async (_n, respond, message) => {
    const agent = agentWithKey('leaf.key');
    await expectRpcError(
      attest(h.anonymous(Agent), {
        type: 'x509pop',
        payload: await agent.payload(),
        csr: (await makeCsr()).der,
        respond,
      }),
      Code.PermissionDenied,
      message,
    );
  });
});
