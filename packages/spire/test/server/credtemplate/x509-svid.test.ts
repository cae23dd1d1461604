import { createHash, generateKeyPairSync, X509Certificate } from 'node:crypto';
import * as px from '@peculiar/x509';
import { SpiffeId } from '@spire-ts/spiffe';
import { describe, expect, it } from 'vitest';
import type { KeyType } from '../../../src/server/plugin/keymanager/index.js';
import { makeCa, opensslVerify, T0, td } from './helpers.js';

const HOUR = 3_600_000;
const workload = SpiffeId.fromPath(td, '/ns/prod/sa/web');
const leafKey = () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;

function ext<T extends px.Extension>(cert: Buffer, type: new (raw: ArrayBuffer) => T): T {
  const found = new px.X509Certificate(cert).getExtension(type);
  if (!found) throw new Error(`missing ${type.name}`);
  return found;
}

describe('workload X.509-SVID profile', () => {
  it('matches SPIRE leaf profile field by field', async () => {
    const { builder, minter, ca } = await makeCa();
    const key = leafKey();
    const svid = await builder.workloadX509Svid(minter, {
      spiffeId: workload,
      publicKey: key,
      dnsNames: ['web.example.org', 'www.example.org'],
    });
    const cert = new X509Certificate(svid.der);
    expect(cert.subject).toBe('C=US\nO=SPIRE\nCN=web.example.org');
    expect(cert.issuer).toBe(new X509Certificate(ca.der).subject);
    expect(cert.subjectAltName).toBe(
      'DNS:web.example.org, DNS:www.example.org, URI:spiffe://example.org/ns/prod/sa/web',
    );
    expect(cert.ca).toBe(false);
    expect(cert.publicKey.equals(key)).toBe(true);
  });

  it('carries keyUsage digitalSignature|keyEncipherment|keyAgreement as critical (X509-SVID §4.3)', async () => {
    const { builder, minter } = await makeCa();
    const svid = await builder.workloadX509Svid(minter, {
      spiffeId: workload,
      publicKey: leafKey(),
    });
    const ku = ext(svid.der, px.KeyUsagesExtension);
    expect(ku.critical).toBe(true);
    const F = px.KeyUsageFlags;
    expect(ku.usages).toBe(F.digitalSignature | F.keyEncipherment | F.keyAgreement);
  });

  it('carries EKU serverAuth+clientAuth and a critical cA=false (X509-SVID §4.1, §4.4)', async () => {
    const { builder, minter } = await makeCa();
    const svid = await builder.workloadX509Svid(minter, {
      spiffeId: workload,
      publicKey: leafKey(),
    });
    const eku = ext(svid.der, px.ExtendedKeyUsageExtension);
    expect(eku.critical).toBe(false);
    expect(eku.usages).toEqual(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
    const bc = ext(svid.der, px.BasicConstraintsExtension);
    expect([bc.critical, bc.ca, bc.pathLength]).toEqual([true, false, undefined]);
  });

  it('sets SKID to SHA-1 of the key bits and AKID to the CA key id', async () => {
    const { builder, minter, ca } = await makeCa();
    const key = leafKey();
    const svid = await builder.workloadX509Svid(minter, { spiffeId: workload, publicKey: key });
    const spki = key.export({ type: 'spki', format: 'der' });
    const bits = spki.subarray(spki.length - 65);
    const skid = ext(svid.der, px.SubjectKeyIdentifierExtension).keyId;
    expect(skid).toBe(createHash('sha1').update(bits).digest('hex'));
    const akid = ext(svid.der, px.AuthorityKeyIdentifierExtension).keyId;
    expect(akid).toBe(ca.subjectKeyId.toString('hex'));
  });

  it('uses a random positive serial of up to 128 bits, different each time', async () => {
    const { builder, minter } = await makeCa();
    const serials = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const s = await builder.workloadX509Svid(minter, {
        spiffeId: workload,
        publicKey: leafKey(),
      });
      const hex = new X509Certificate(s.der).serialNumber;
      expect(BigInt(`0x${hex}`)).toBeGreaterThan(0n);
      expect(BigInt(`0x${hex}`)).toBeLessThan(1n << 128n);
      serials.add(hex);
    }
    expect(serials.size).toBe(20);
  });

  it('back-dates notBefore 10 s and lives the default 1h TTL (C29, D24)', async () => {
    const { builder, minter } = await makeCa();
    const s = await builder.workloadX509Svid(minter, { spiffeId: workload, publicKey: leafKey() });
    expect([s.notBeforeMs, s.notAfterMs]).toEqual([T0 - 10_000, T0 + HOUR]);
    const cert = new X509Certificate(s.der);
    expect(Date.parse(cert.validFrom)).toBe(T0 - 10_000);
    expect(Date.parse(cert.validTo)).toBe(T0 + HOUR);
  });

  it('caps notAfter at the CA notAfter (C28)', async () => {
    const { builder, minter, clock, ca } = await makeCa('ec-p256', { caTtlMs: 120_000 });
    clock.advance(100_000);
    const ttlMs = 60_000;
    const s = await builder.workloadX509Svid(minter, {
      spiffeId: workload,
      publicKey: leafKey(),
      ttlMs,
    });
    expect(s.notAfterMs).toBe(ca.notAfterMs);
    expect(s.notAfterMs).toBe(T0 + 120_000);
  });

  it('adds x500UniqueIdentifier = hex(SHA-256(id))[0:32] when uniqueid is on', async () => {
    const { builder, minter } = await makeCa('ec-p256', { uniqueId: true });
    const s = await builder.workloadX509Svid(minter, { spiffeId: workload, publicKey: leafKey() });
    const expected = createHash('sha256').update(workload.toString()).digest('hex').slice(0, 32);
    expect(new px.X509Certificate(s.der).subject).toBe(`C=US, O=SPIRE, 2.5.4.45=${expected}`);
  });

  it.each<[KeyType]>([['ec-p256'], ['ec-p384'], ['rsa-2048']])(
    'passes openssl verify -x509_strict with a %s CA',
    async (type) => {
      const { builder, minter, ca } = await makeCa(type);
      const s = await builder.workloadX509Svid(minter, {
        spiffeId: workload,
        publicKey: leafKey(),
        dnsNames: ['web.example.org'],
      });
      expect(opensslVerify([ca.der], [], s.der, T0 + 60_000).trim()).toMatch(/: OK$/);
    },
  );

  it('is rejected by openssl once the CA has expired', async () => {
    const { builder, minter, ca } = await makeCa();
    const s = await builder.workloadX509Svid(minter, { spiffeId: workload, publicKey: leafKey() });
    expect(opensslVerify([ca.der], [], s.der, ca.notAfterMs + 1000)).toContain(
      'certificate has expired',
    );
  });
});

describe('agent and server X.509-SVIDs', () => {
  it('issues the server SVID spiffe://<td>/spire/server with the leaf profile', async () => {
    const { builder, minter } = await makeCa();
    const s = await builder.serverX509Svid(minter, leafKey());
    const cert = new X509Certificate(s.der);
    expect(cert.subjectAltName).toBe('URI:spiffe://example.org/spire/server');
    expect(cert.subject).toBe('C=US\nO=SPIRE');
    expect(s.notAfterMs - T0).toBe(HOUR);
  });

  it('issues agent SVIDs living agent_ttl', async () => {
    const { builder, minter } = await makeCa('ec-p256', { agentSvidTtlMs: 2 * HOUR });
    const id = SpiffeId.fromPath(td, '/spire/agent/join_token/abc');
    const s = await builder.agentX509Svid(minter, { spiffeId: id, publicKey: leafKey() });
    expect(new X509Certificate(s.der).subjectAltName).toBe(`URI:${id}`);
    expect(s.notAfterMs - T0).toBe(2 * HOUR);
  });
});

describe('X.509-SVID requests that are refused', () => {
  const other = SpiffeId.fromString('spiffe://other.org/web');
  it.each([
    ['an ID of another trust domain', { spiffeId: other }, 'ERR_CREDTEMPLATE_BAD_SPIFFE_ID'],
    ['the trust domain ID itself', { spiffeId: td.id() }, 'ERR_CREDTEMPLATE_BAD_SPIFFE_ID'],
    ['a DNS name with a space', { dnsNames: ['a b'] }, 'ERR_CREDTEMPLATE_BAD_DNS_NAME'],
    ['a non-ASCII DNS name', { dnsNames: ['bücher.de'] }, 'ERR_CREDTEMPLATE_BAD_DNS_NAME'],
    ['an empty DNS label', { dnsNames: ['a..b'] }, 'ERR_CREDTEMPLATE_BAD_DNS_NAME'],
    [
      'a private key',
      { publicKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey },
      'ERR_CREDTEMPLATE_BAD_PUBLIC_KEY',
    ],
    [
      'bytes that are not an SPKI',
      { publicKey: Buffer.from('nope') },
      'ERR_CREDTEMPLATE_BAD_PUBLIC_KEY',
    ],
    ['a negative TTL', { ttlMs: -5 }, 'ERR_CREDTEMPLATE_BAD_TTL'],
  ])('refuses %s', async (_what, override, code) => {
    const { builder, minter } = await makeCa();
    const req = { spiffeId: workload, publicKey: leafKey(), ...override };
    await expect(builder.workloadX509Svid(minter, req)).rejects.toMatchObject({ code });
  });

  it('refuses an agent ID outside /spire/agent/', async () => {
    const { builder, minter } = await makeCa();
    await expect(
      builder.agentX509Svid(minter, { spiffeId: workload, publicKey: leafKey() }),
    ).rejects.toMatchObject({ code: 'ERR_CREDTEMPLATE_BAD_SPIFFE_ID' });
  });

  it('refuses to sign once the issuing CA has expired', async () => {
    const { builder, minter, clock, ca } = await makeCa();
    clock.set(ca.notAfterMs);
    await expect(
      builder.workloadX509Svid(minter, { spiffeId: workload, publicKey: leafKey() }),
    ).rejects.toMatchObject({ code: 'ERR_CREDTEMPLATE_ISSUER_EXPIRED' });
  });
});

describe('leaf identity pieces kept per SPIFFE ID object (subject, SANs)', () => {
  // The SVID API mints with one SpiffeId object per entry revision; the pieces kept for it must
  // follow whatever else the request says (X509-SVID §2: the SANs name exactly this request).
  it('never reuses a subject or SAN built for other DNS names, subject or uniqueId', async () => {
    const { builder, minter } = await makeCa();
    const id = SpiffeId.fromPath(td, '/ns/prod/sa/cached');
    const names = async (dnsNames: string[], b = builder) => {
      const cert = new X509Certificate(
        (await b.workloadX509Svid(minter, { spiffeId: id, publicKey: leafKey(), dnsNames })).der,
      );
      return [cert.subject, cert.subjectAltName];
    };
    const uri = 'URI:spiffe://example.org/ns/prod/sa/cached';
    expect(await names(['a.example.org'])).toEqual([
      'C=US\nO=SPIRE\nCN=a.example.org',
      `DNS:a.example.org, ${uri}`,
    ]);
    expect(await names(['a.example.org'])).toEqual([
      'C=US\nO=SPIRE\nCN=a.example.org',
      `DNS:a.example.org, ${uri}`,
    ]);
    expect(await names(['b.example.org', 'a.example.org'])).toEqual([
      'C=US\nO=SPIRE\nCN=b.example.org',
      `DNS:b.example.org, DNS:a.example.org, ${uri}`,
    ]);
    expect(await names([])).toEqual(['C=US\nO=SPIRE', uri]);

    const other = await makeCa('ec-p256', { svidSubject: { organization: ['Acme'] } });
    expect(await names(['a.example.org'], other.builder)).toEqual([
      'O=Acme\nCN=a.example.org',
      `DNS:a.example.org, ${uri}`,
    ]);
    const unique = await makeCa('ec-p256', { uniqueId: true });
    const hex = createHash('sha256').update(id.toString()).digest().subarray(0, 16).toString('hex');
    expect((await names(['a.example.org'], unique.builder))[0]).toBe(
      `C=US\nO=SPIRE\nCN=a.example.org\nx500UniqueIdentifier=${hex}`,
    );
    expect(await names(['a.example.org'])).toEqual([
      'C=US\nO=SPIRE\nCN=a.example.org',
      `DNS:a.example.org, ${uri}`,
    ]);
  });

  it('gives each SPIFFE ID its own names, and each leaf the lifetime asked for', async () => {
    const { builder, minter, clock } = await makeCa();
    const mint = async (path: string, ttlMs: number) => {
      const spiffeId = SpiffeId.fromPath(td, path);
      const svid = await builder.workloadX509Svid(minter, {
        spiffeId,
        publicKey: leafKey(),
        ttlMs,
      });
      const cert = new X509Certificate(svid.der);
      return [cert.subjectAltName, Date.parse(cert.validTo) - clock.now()];
    };
    expect(await mint('/one', HOUR)).toEqual(['URI:spiffe://example.org/one', HOUR]);
    expect(await mint('/two', 2 * HOUR)).toEqual(['URI:spiffe://example.org/two', 2 * HOUR]);
    expect(await mint('/one', 3 * HOUR)).toEqual(['URI:spiffe://example.org/one', 3 * HOUR]);
  });
});
