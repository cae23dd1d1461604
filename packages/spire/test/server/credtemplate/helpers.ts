import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TrustDomain } from '@spire-ts/spiffe';
import { FakeClock } from '../../../src/common/clock/index.js';
import {
  CredentialBuilder,
  type CredentialBuilderConfig,
  type KeySigner,
  X509SvidMinter,
} from '../../../src/server/credtemplate/index.js';
import { type KeyType, MemoryKeyManager } from '../../../src/server/plugin/keymanager/index.js';

export const T0 = Date.UTC(2030, 0, 1);
export const td = TrustDomain.fromString('example.org');

/** A CA key in a memory KeyManager, its self-signed certificate, a builder and a minter. */
export async function makeCa(
  type: KeyType = 'ec-p256',
  config: Partial<CredentialBuilderConfig> = {},
) {
  const clock = new FakeClock(T0);
  const km = new MemoryKeyManager();
  const info = await km.generateKey('x509-CA-A', type);
  const key: KeySigner = {
    keyType: type,
    spki: info.spki,
    sign: (data, options) => km.sign('x509-CA-A', data, options),
  };
  const builder = new CredentialBuilder({ trustDomain: td, clock, ...config });
  const ca = await builder.selfSignedCa(key);
  const minter = new X509SvidMinter({
    certificate: ca.der,
    subjectKeyId: ca.subjectKeyId,
    notAfterMs: ca.notAfterMs,
    keyType: type,
    sign: key.sign,
  });
  return { clock, km, info, key, builder, ca, minter, caCert: new X509Certificate(ca.der) };
}

/** Runs `openssl verify -x509_strict` at `atMs`; returns its combined output. */
export function opensslVerify(
  roots: Buffer[],
  untrusted: Buffer[],
  leaf: Buffer,
  atMs: number,
): string {
  const dir = mkdtempSync(join(tmpdir(), 'ossl-'));
  try {
    const pem = (ders: Buffer[]) => ders.map((d) => new X509Certificate(d).toString()).join('');
    writeFileSync(join(dir, 'roots.pem'), pem(roots));
    writeFileSync(join(dir, 'leaf.pem'), pem([leaf]));
    const args = ['verify', '-x509_strict', '-attime', String(Math.floor(atMs / 1000))];
    args.push('-CAfile', join(dir, 'roots.pem'));
    if (untrusted.length > 0) {
      writeFileSync(join(dir, 'untrusted.pem'), pem(untrusted));
      args.push('-untrusted', join(dir, 'untrusted.pem'));
    }
    args.push(join(dir, 'leaf.pem'));
    try {
      return execFileSync('openssl', args, { encoding: 'utf8', stdio: 'pipe' });
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string };
      return `${e.stdout ?? ''}${e.stderr ?? ''}`;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
