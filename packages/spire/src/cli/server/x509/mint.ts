import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import { chmod, writeFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { SpiffeId } from '@spire-ts/spiffe';
import { Bundle } from '../../../gen/spire/api/server/bundle/v1/bundle_pb.js';
import { SVID } from '../../../gen/spire/api/server/svid/v1/svid_pb.js';
import { adminCommand, CliError, errorText } from '../client.js';

const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

/**
 * `spire-server x509 mint -spiffeID ID [-dns NAME]... [-ttl D] [-write DIR]`: makes a P-256 key
 * and CSR here, has the server sign it, and prints (or writes svid.pem, key.pem, bundle.pem) the
 * SVID, its key and the root CAs (reference §3.4).
 */
export const x509MintCommand = adminCommand(
  'x509 mint',
  'Mints an X509-SVID',
  [
    { name: 'spiffeID', kind: 'string', usage: 'SPIFFE ID of the X509-SVID', default: '' },
    { name: 'ttl', kind: 'duration', usage: 'TTL of the X509-SVID', default: 0 },
    {
      name: 'dns',
      kind: 'list',
      usage: 'DNS name that will be included in SVID. Can be used more than once.',
    },
    {
      name: 'write',
      kind: 'string',
      usage: 'Directory to write output to instead of stdout',
      default: '',
    },
  ],
  async ({ flags, io, server }) => {
    if (String(flags.spiffeID) === '') throw new CliError('spiffeID must be specified');
    const id = SpiffeId.fromString(String(flags.spiffeID));
    const ttlMs = Number(flags.ttl);
    const dns = (flags.dns as readonly string[] | undefined) ?? [];
    x509.cryptoProvider.set(webcrypto as never);
    const keys = (await webcrypto.subtle.generateKey(EC, true, [
      'sign',
      'verify',
    ])) as webcrypto.CryptoKeyPair;
    const names = [
      { type: 'url' as const, value: id.toString() },
      ...dns.map((value) => ({ type: 'dns' as const, value })),
    ];
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({
      keys,
      signingAlgorithm: EC,
      extensions: [new x509.SubjectAlternativeNameExtension(names)],
    });

    // The cap check compares with when the request left, not when the answers came back.
    const requestedAtMs = Date.now();
    const minted = await server
      .client(SVID)
      .mintX509SVID({ csr: new Uint8Array(csr.rawData), ttl: Math.ceil(ttlMs / 1000) })
      .catch((err: unknown) => {
        throw new CliError(`unable to mint SVID: ${errorOf(err)}`);
      });
    const chain = minted.svid?.certChain ?? [];
    if (chain.length === 0) throw new CliError('server response missing SVID chain');
    const bundle = await server
      .client(Bundle)
      .getBundle({})
      .catch((err: unknown) => {
        throw new CliError(`unable to get bundle: ${errorOf(err)}`);
      });
    if (bundle.x509Authorities.length === 0) {
      throw new CliError('server response missing X509 Authorities');
    }
    const expiresAtMs = Number(minted.svid?.expiresAt ?? 0n) * 1000;
    // Certificates carry whole seconds: only a cap of a second or more is worth a warning.
    if (expiresAtMs + 1000 < requestedAtMs + ttlMs) {
      const when = new Date(expiresAtMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
      io.stderr.write(
        `X509-SVID lifetime was capped shorter than specified ttl; expires "${when}"\n`,
      );
    }

    const keyDer = new Uint8Array(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
    const svidPem = chain.map((d) => pem(d, 'CERTIFICATE')).join('');
    const keyPem = pem(keyDer, 'PRIVATE KEY');
    const bundlePem = bundle.x509Authorities.map((a) => pem(a.asn1, 'CERTIFICATE')).join('');
    const dir = String(flags.write);
    if (dir === '') {
      io.stdout.write(`X509-SVID:\n${svidPem}\nPrivate key:\n${keyPem}\nRoot CAs:\n${bundlePem}\n`);
      return;
    }
    const at = (name: string) => (isAbsolute(dir) ? join(dir, name) : join(io.cwd, dir, name));
    await writeOut(at('svid.pem'), svidPem, 0o644, 'unable to write SVID');
    io.stdout.write(`X509-SVID written to ${at('svid.pem')}\n`);
    await writeOut(at('key.pem'), keyPem, 0o600, 'unable to write key');
    io.stdout.write(`Private key written to ${at('key.pem')}\n`);
    await writeOut(at('bundle.pem'), bundlePem, 0o644, 'unable to write bundle');
    io.stdout.write(`Root CAs written to ${at('bundle.pem')}\n`);
  },
);

/** Writes a file with exactly `mode` (also when it existed with another mode). */
export async function writeOut(path: string, text: string, mode: number, what: string) {
  try {
    await writeFile(path, text, { mode });
    await chmod(path, mode);
  } catch (err) {
    throw new CliError(`${what}: ${errorOf(err)}`);
  }
}

function errorOf(err: unknown): string {
  return errorText(err);
}

/** PEM of a DER block, 64 characters a line, as Go's encoding/pem writes it. */
export function pem(der: Uint8Array, label: string): string {
  const b64 =
    Buffer.from(der)
      .toString('base64')
      .match(/.{1,64}/g)
      ?.join('\n') ?? '';
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}
