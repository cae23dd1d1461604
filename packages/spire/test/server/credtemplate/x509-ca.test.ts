import { X509Certificate } from 'node:crypto';
import * as px from '@peculiar/x509';
import { describe, expect, it } from 'vitest';
import { makeCa, opensslVerify, T0 } from './helpers.js';

const HOUR = 3_600_000;

describe('self-signed X.509 CA', () => {
  it('has ca_subject plus the serial as serialNumber, and the trust domain URI SAN', async () => {
    const { caCert } = await makeCa();
    const serial = BigInt(`0x${caCert.serialNumber}`).toString();
    expect(caCert.subject).toBe(`C=US\nO=SPIFFE\nserialNumber=${serial}`);
    expect(caCert.issuer).toBe(caCert.subject);
    expect(caCert.subjectAltName).toBe('URI:spiffe://example.org');
    expect(caCert.ca).toBe(true);
  });

  it('uses a configured ca_subject, values of one type in one DER-sorted RDN', async () => {
    const caSubject = { country: ['DE'], organization: ['Acme', 'Ops'], commonName: 'acme ca' };
    const { caCert } = await makeCa('ec-p256', { caSubject });
    expect(caCert.subject).toMatch(/^C=DE\nO=Ops \+ O=Acme\nCN=acme ca\nserialNumber=\d+$/);
  });

  it('carries critical keyCertSign|cRLSign and critical cA=true without pathLen (X509-SVID §4.1, §4.3)', async () => {
    const { ca } = await makeCa();
    const cert = new px.X509Certificate(ca.der);
    const ku = cert.getExtension(px.KeyUsagesExtension);
    expect([ku?.critical, ku?.usages]).toEqual([
      true,
      px.KeyUsageFlags.keyCertSign | px.KeyUsageFlags.cRLSign,
    ]);
    const bc = cert.getExtension(px.BasicConstraintsExtension);
    expect([bc?.critical, bc?.ca, bc?.pathLength]).toEqual([true, true, undefined]);
    expect(cert.getExtension(px.SubjectKeyIdentifierExtension)?.keyId).toBe(
      ca.subjectKeyId.toString('hex'),
    );
  });

  it('lives ca_ttl plus the 10 s back-dating (D22)', async () => {
    const { ca, caCert } = await makeCa('ec-p256', { caTtlMs: 48 * HOUR });
    expect([ca.notBeforeMs, ca.notAfterMs]).toEqual([T0 - 10_000, T0 + 48 * HOUR]);
    expect(Date.parse(caCert.validTo) - Date.parse(caCert.validFrom)).toBe(48 * HOUR + 10_000);
  });

  it('is self-signed and verifies under openssl -x509_strict', async () => {
    const { ca, caCert } = await makeCa('ec-p384');
    expect(caCert.verify(caCert.publicKey)).toBe(true);
    expect(opensslVerify([ca.der], [], ca.der, T0).trim()).toMatch(/: OK$/);
  });
});

describe('CA CSR for an UpstreamAuthority', () => {
  it('is a PKCS#10 request signed by the CA key with the trust domain URI SAN', async () => {
    const { builder, key, info } = await makeCa();
    const csr = new px.Pkcs10CertificateRequest(await builder.caCsr(key));
    expect(await csr.verify()).toBe(true);
    expect(csr.subject).toMatch(/^C=US, O=SPIFFE, 2\.5\.4\.5=\d+$/);
    const raw = csr.getExtension('2.5.29.17')?.rawData ?? new ArrayBuffer(0);
    const san = new px.SubjectAlternativeNameExtension(raw);
    expect(san.names.toJSON()).toEqual([{ type: 'url', value: 'spiffe://example.org' }]);
    expect(Buffer.from(csr.publicKey.rawData).equals(info.spki)).toBe(true);
  });
});

describe('CA certificate parse sanity', () => {
  it('round-trips through node X509Certificate', async () => {
    const { ca } = await makeCa('rsa-2048');
    expect(Buffer.from(new X509Certificate(ca.der).raw).equals(ca.der)).toBe(true);
  });
});
