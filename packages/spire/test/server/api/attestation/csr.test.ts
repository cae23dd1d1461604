import * as x509 from '@peculiar/x509';
import { describe, expect, it } from 'vitest';
import { CsrError, parseCsr } from '../../../../src/server/api/attestation/csr.js';
import { makeCsr } from './support.js';

function flipLastByte(der: Uint8Array): Uint8Array {
  const copy = Uint8Array.from(der);
  copy[copy.length - 1] = (copy[copy.length - 1] as number) ^ 0x01;
  return copy;
}

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return err instanceof CsrError ? err.code : `not a CsrError: ${String(err)}`;
  }
  return 'no error';
}

describe('parseCsr (RFC 2986)', () => {
  it('returns the public key and the requested URI and DNS SANs in order', async () => {
    const csr = await makeCsr({
      uris: ['spiffe://example.org/a', 'spiffe://example.org/b'],
      dns: ['a.example.org', '*.example.org'],
    });
    const parsed = parseCsr(csr.der);
    expect(parsed).toEqual({
      publicKeyDer: csr.spki,
      uris: ['spiffe://example.org/a', 'spiffe://example.org/b'],
      dnsNames: ['a.example.org', '*.example.org'],
    });
  });

  it('returns no SANs for a request without an extension request', async () => {
    const csr = await makeCsr();
    expect(parseCsr(csr.der)).toMatchObject({ uris: [], dnsNames: [] });
  });

  it('accepts an RSA PKCS#1 v1.5 SHA-256 request', async () => {
    const alg = {
      name: 'RSASSA-PKCS1-v1_5',
      hash: 'SHA-256',
      publicExponent: new Uint8Array([1, 0, 1]),
      modulusLength: 2048,
    };
    const keys = await crypto.subtle.generateKey(alg, true, ['sign', 'verify']);
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({
      name: 'CN=rsa',
      keys,
      signingAlgorithm: alg,
    });
    const spki = Buffer.from(await crypto.subtle.exportKey('spki', keys.publicKey));
    expect(parseCsr(new Uint8Array(csr.rawData)).publicKeyDer).toEqual(spki);
  });

  const cases: [string, () => Promise<Uint8Array>, string][] = [
    [
      'a signature that does not verify',
      async () => flipLastByte((await makeCsr()).der),
      'ERR_CSR_BAD_SIGNATURE',
    ],
    ['empty input', async () => new Uint8Array(), 'ERR_CSR_MALFORMED'],
    ['a truncated request', async () => (await makeCsr()).der.subarray(0, 40), 'ERR_CSR_MALFORMED'],
    [
      'trailing bytes',
      async () => Buffer.concat([(await makeCsr()).der, Buffer.of(0)]),
      'ERR_CSR_MALFORMED',
    ],
    ['a certificate instead of a request', certificateDer, 'ERR_CSR_MALFORMED'],
  ];
  it.each(cases)('refuses %s', async (_name, make, expected) => {
    const der = await make();
    expect(code(() => parseCsr(der))).toBe(expected);
  });

  it('refuses a request carrying one key but signed by another (no proof of possession)', async () => {
    const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
    const a = await crypto.subtle.generateKey(alg, true, ['sign', 'verify']);
    const b = await crypto.subtle.generateKey(alg, true, ['sign', 'verify']);
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({
      name: 'CN=forged',
      keys: { publicKey: a.publicKey, privateKey: b.privateKey },
      signingAlgorithm: alg,
    });
    expect(code(() => parseCsr(new Uint8Array(csr.rawData)))).toBe('ERR_CSR_BAD_SIGNATURE');
  });
});

async function certificateDer(): Promise<Uint8Array> {
  const keys = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
    'sign',
    'verify',
  ]);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: 'CN=cert',
    keys,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
  });
  return new Uint8Array(cert.rawData);
}
