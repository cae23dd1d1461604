import { generateKeyPairSync, webcrypto, X509Certificate } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as px from '@peculiar/x509';
import { SpiffeId, TrustDomain } from '@spire-ts/spiffe';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  INFINITY_P256_SEC1_PEM,
  withSubjectKey,
} from '../../../../../spiffe/test/support/infinity-key.js';
import { FakeClock } from '../../../../src/common/clock/index.js';
import { CaManager, MemoryCaJournalStore } from '../../../../src/server/ca/index.js';
import { CredentialBuilder } from '../../../../src/server/credtemplate/index.js';
import { MemoryKeyManager } from '../../../../src/server/plugin/keymanager/index.js';
import { DiskUpstreamAuthority } from '../../../../src/server/plugin/upstreamauthority/index.js';
import { opensslVerify } from '../../credtemplate/helpers.js';

const T0 = Date.UTC(2030, 0, 1);
const H = 3_600_000;
const td = TrustDomain.fromString('example.org');
const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ua-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** An upstream CA made with @peculiar/x509 (an independent encoder), written as PEM files. */
async function upstreamCa(
  name: string,
  notAfterMs: number,
  issuer?: { cert: px.X509Certificate; keys: webcrypto.CryptoKeyPair },
) {
  const keys = (await webcrypto.subtle.generateKey(alg, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  const subject = `CN=${name}`;
  const extensions = [
    new px.BasicConstraintsExtension(true, undefined, true),
    new px.KeyUsagesExtension(px.KeyUsageFlags.keyCertSign | px.KeyUsageFlags.cRLSign, true),
    await px.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ...(issuer ? [await px.AuthorityKeyIdentifierExtension.create(issuer.keys.publicKey)] : []),
  ];
  const common = {
    serialNumber: '01',
    notBefore: new Date(T0 - H),
    notAfter: new Date(notAfterMs),
    signingAlgorithm: alg,
    extensions,
  };
  const cert = issuer
    ? await px.X509CertificateGenerator.create({
        ...common,
        subject,
        issuer: issuer.cert.subject,
        publicKey: keys.publicKey,
        signingKey: issuer.keys.privateKey,
      })
    : await px.X509CertificateGenerator.createSelfSigned({ ...common, name: subject, keys });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const keyPem = `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString('base64')}\n-----END PRIVATE KEY-----\n`;
  return { cert, keys, pem: cert.toString('pem'), keyPem, der: Buffer.from(cert.rawData) };
}

async function files(certPem: string, keyPem: string, bundlePem?: string) {
  await writeFile(join(dir, 'ca.pem'), certPem);
  await writeFile(join(dir, 'ca.key'), keyPem);
  if (bundlePem) await writeFile(join(dir, 'bundle.pem'), bundlePem);
  return {
    cert_file_path: join(dir, 'ca.pem'),
    key_file_path: join(dir, 'ca.key'),
    ...(bundlePem ? { bundle_file_path: join(dir, 'bundle.pem') } : {}),
  };
}

async function managerWith(upstream: DiskUpstreamAuthority, clock: FakeClock) {
  const builder = new CredentialBuilder({ trustDomain: td, clock, caTtlMs: 24 * H });
  const keyManager = new MemoryKeyManager();
  const m = new CaManager({ builder, keyManager, journal: new MemoryCaJournalStore(), upstream });
  await m.start();
  m.stop();
  return m;
}

const leafKey = () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;

describe('UpstreamAuthority disk', () => {
  it('signs our intermediate under a self-signed upstream root that becomes the bundle', async () => {
    const root = await upstreamCa('upstream root', T0 + 365 * 24 * H);
    const clock = new FakeClock(T0);
    const ua = await DiskUpstreamAuthority.open(await files(root.pem, root.keyPem), clock);
    const m = await managerWith(ua, clock);
    const active = m.activeX509();
    const ours = new X509Certificate(active?.chain[0] ?? Buffer.alloc(0));
    expect(ours.ca).toBe(true);
    expect(ours.subjectAltName).toBe('URI:spiffe://example.org');
    expect(ours.checkIssued(new X509Certificate(root.der))).toBe(true);
    expect(m.bundle().x509Authorities).toEqual([root.der]);
    const svid = await m.signWorkloadX509Svid({
      spiffeId: SpiffeId.fromPath(td, '/web'),
      publicKey: leafKey(),
    });
    expect(svid.certChain).toEqual([svid.der, active?.chain[0]]);
    expect(opensslVerify([root.der], [ours.raw], svid.der, T0 + 60_000).trim()).toMatch(/: OK$/);
  });

  it('chains through upstream intermediates, with roots from bundle_file_path', async () => {
    const root = await upstreamCa('upstream root', T0 + 365 * 24 * H);
    const mid = await upstreamCa('upstream intermediate', T0 + 300 * 24 * H, root);
    const clock = new FakeClock(T0);
    const ua = await DiskUpstreamAuthority.open(await files(mid.pem, mid.keyPem, root.pem), clock);
    const m = await managerWith(ua, clock);
    const svid = await m.signWorkloadX509Svid({
      spiffeId: SpiffeId.fromPath(td, '/web'),
      publicKey: leafKey(),
    });
    expect(svid.certChain.slice(2)).toEqual([mid.der]);
    expect(m.bundle().x509Authorities).toEqual([root.der]);
    const untrusted = svid.certChain.slice(1);
    expect(opensslVerify([root.der], untrusted, svid.der, T0 + 60_000).trim()).toMatch(/: OK$/);
  });

  it('caps our CA at the upstream certificate expiry, and SVIDs with it (C28)', async () => {
    const root = await upstreamCa('short root', T0 + 6 * H);
    const clock = new FakeClock(T0);
    const ua = await DiskUpstreamAuthority.open(await files(root.pem, root.keyPem), clock);
    const m = await managerWith(ua, clock);
    expect(m.activeX509()?.notAfterMs).toBe(T0 + 6 * H);
    clock.set(T0 + 5 * H);
    const svid = await m.signWorkloadX509Svid({
      spiffeId: SpiffeId.fromPath(td, '/w'),
      publicKey: leafKey(),
    });
    expect(svid.notAfterMs).toBe(T0 + 6 * H);
  });

  it('refuses a CSR whose signature does not verify', async () => {
    const root = await upstreamCa('root', T0 + 24 * H);
    const ua = await DiskUpstreamAuthority.open(
      await files(root.pem, root.keyPem),
      new FakeClock(T0),
    );
    const km = new MemoryKeyManager();
    const info = await km.generateKey('k', 'ec-p256');
    const builder = new CredentialBuilder({ trustDomain: td, clock: new FakeClock(T0) });
    const csr = await builder.caCsr({
      keyType: 'ec-p256',
      spki: info.spki,
      sign: (d, o) => km.sign('k', d, o),
    });
    csr[csr.length - 5] = (csr[csr.length - 5] as number) ^ 0xff;
    await expect(ua.mintX509Ca(csr, H)).rejects.toMatchObject({
      code: 'ERR_UPSTREAMAUTHORITY_BAD_CSR',
    });
    await expect(ua.mintX509Ca(Buffer.from('junk'), H)).rejects.toMatchObject({
      code: 'ERR_UPSTREAMAUTHORITY_BAD_CSR',
    });
  });

  it.each([
    [
      'plugin_data without key_file_path',
      async () => ({ cert_file_path: '/x' }),
      'ERR_UPSTREAMAUTHORITY_BAD_CONFIG',
    ],
    [
      'a missing certificate file',
      async () => ({ cert_file_path: join(dir, 'none.pem'), key_file_path: join(dir, 'none.key') }),
      'ERR_UPSTREAMAUTHORITY_UNREADABLE',
    ],
    [
      'a key that does not match the certificate',
      async () => {
        const a = await upstreamCa('a', T0 + H);
        const b = await upstreamCa('b', T0 + H);
        return files(a.pem, b.keyPem);
      },
      'ERR_UPSTREAMAUTHORITY_BAD_CERT',
    ],
    [
      'an intermediate without bundle_file_path',
      async () => {
        const root = await upstreamCa('root', T0 + H);
        const mid = await upstreamCa('mid', T0 + H, root);
        return files(mid.pem, mid.keyPem);
      },
      'ERR_UPSTREAMAUTHORITY_BAD_CERT',
    ],
    [
      'a bundle_file_path root whose public key is the ec point at infinity',
      async () => {
        const root = await upstreamCa('root', T0 + H);
        const mid = await upstreamCa('mid', T0 + H, root);
        const signer = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
        return files(mid.pem, mid.keyPem, withSubjectKey(root.der, signer).toString());
      },
      'ERR_UPSTREAMAUTHORITY_BAD_CERT',
    ],
    [
      'a key whose public point is the ec point at infinity (Node aborts on its curve)',
      async () => files((await upstreamCa('root', T0 + H)).pem, INFINITY_P256_SEC1_PEM),
      'ERR_UPSTREAMAUTHORITY_BAD_KEY',
    ],
  ])('refuses %s', async (_what, data, code) => {
    await expect(DiskUpstreamAuthority.open(await data(), new FakeClock(T0))).rejects.toMatchObject(
      { code },
    );
  });
});
