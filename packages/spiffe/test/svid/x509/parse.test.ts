import { createPrivateKey, type X509Certificate } from 'node:crypto';
import {
  X509SvidErrorCode as Code,
  TrustDomain,
  X509Bundle,
  X509Svid,
  type X509SvidErrorCodeValue,
} from '@spire-ts/spiffe';
import { describe, expect, it } from 'vitest';
import { createCa, createIntermediate, createLeaf, generateKeys } from '../../support/certs.js';

const root = createCa({ commonName: 'Root CA' });
const inter = createIntermediate(root);
const leaf = createLeaf(inter);
const rsaLeaf = createLeaf(inter, { keyAlgorithm: 'rsa-2048' });

function caught(fn: () => unknown): { code?: string; message?: string } {
  try {
    fn();
  } catch (err) {
    return err as { code: string; message: string };
  }
  return {};
}

const ecKey = leaf.privateKey;
const rsaKey = rsaLeaf.privateKey;
const pem = leaf.pem + inter.pem;
const der = Buffer.concat([leaf.der, inter.der]);

describe('X509Svid.parse input forms', () => {
  const certForms: [string, Uint8Array | string | X509Certificate[]][] = [
    ['PEM string', pem],
    ['PEM bytes (Buffer)', Buffer.from(pem)],
    ['PEM bytes (Uint8Array)', new Uint8Array(Buffer.from(pem))],
    ['concatenated DER (Buffer)', der],
    ['concatenated DER (Uint8Array)', new Uint8Array(der)],
    ['X509Certificate objects', [leaf.cert, inter.cert]],
  ];
  const keyForms: [string, () => Uint8Array | string][] = [
    ['PKCS#8 PEM', () => ecKey.export({ format: 'pem', type: 'pkcs8' }).toString()],
    ['PKCS#8 DER', () => ecKey.export({ format: 'der', type: 'pkcs8' })],
    ['SEC1 PEM', () => ecKey.export({ format: 'pem', type: 'sec1' }).toString()],
    ['SEC1 DER', () => new Uint8Array(ecKey.export({ format: 'der', type: 'sec1' }))],
  ];

  it.each(certForms)('reads certificates as %s', (_n, certs) => {
    const svid = X509Svid.parse(certs, ecKey);
    expect(svid.id.toString()).toBe('spiffe://example.org/workload');
    expect(svid.certificates.map((c) => c.fingerprint256)).toEqual([
      leaf.cert.fingerprint256,
      inter.cert.fingerprint256,
    ]);
  });

  it.each(keyForms)('reads an EC private key as %s', (_n, key) => {
    const svid = X509Svid.parse(pem, key());
    expect(svid.privateKey.asymmetricKeyType).toBe('ec');
  });

  it.each([
    ['PKCS#1 PEM', () => rsaKey.export({ format: 'pem', type: 'pkcs1' }).toString()],
    ['PKCS#1 DER', () => rsaKey.export({ format: 'der', type: 'pkcs1' })],
    ['PKCS#8 DER', () => rsaKey.export({ format: 'der', type: 'pkcs8' })],
  ] as [string, () => Uint8Array | string][])('reads an RSA private key as %s', (_n, key) => {
    const svid = X509Svid.parse([rsaLeaf.cert, inter.cert], key());
    expect(svid.privateKey.asymmetricKeyType).toBe('rsa');
  });

  it('exposes id, certificates, privateKey, hint and expiresAt, and is frozen', () => {
    const svid = X509Svid.parse(pem, ecKey, { hint: 'internal' });
    expect(svid.hint).toBe('internal');
    expect(svid.expiresAt.getTime()).toBe(new Date(leaf.cert.validTo).getTime());
    expect(Object.isFrozen(svid)).toBe(true);
    expect(Object.isFrozen(svid.certificates)).toBe(true);
    expect(X509Svid.parse(pem, ecKey).hint).toBeUndefined();
  });

  it('marshal() gives PEM that parses back to the same SVID', () => {
    const svid = X509Svid.parse(der, ecKey);
    const out = svid.marshal();
    expect(out.certificates).toBe(leaf.pem + inter.pem);
    expect(out.privateKey).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    const again = X509Svid.parse(out.certificates, out.privateKey);
    expect(again.id.equals(svid.id)).toBe(true);
    expect(createPrivateKey(out.privateKey).equals(ecKey)).toBe(true);
  });

  it('verify accepts the parsed certificates', () => {
    const svid = X509Svid.parse(pem, ecKey);
    const bundle = new X509Bundle(TrustDomain.fromString('example.org'), [root.cert]);
    expect(X509Svid.verify(svid.certificates, bundle).verifiedChain).toHaveLength(3);
  });
});

describe('X509Svid.parse rejections', () => {
  const other = generateKeys();
  const cases: [string, () => unknown, X509SvidErrorCodeValue][] = [
    [
      'a key that belongs to another certificate',
      () => X509Svid.parse(pem, other.privateKey),
      Code.KeyMismatch,
    ],
    [
      'a public key in place of the private key',
      () => X509Svid.parse(pem, other.publicKey),
      Code.MalformedKey,
    ],
    [
      'a PEM key with a wrong label',
      () =>
        X509Svid.parse(
          pem,
          ecKey
            .export({ format: 'pem', type: 'pkcs8' })
            .toString()
            .replaceAll('PRIVATE KEY', 'PUBLIC KEY'),
        ),
      Code.MalformedKey,
    ],
    [
      'two PEM keys',
      () =>
        X509Svid.parse(pem, ecKey.export({ format: 'pem', type: 'pkcs8' }).toString().repeat(2)),
      Code.MalformedKey,
    ],
    [
      'key DER with trailing bytes',
      () =>
        X509Svid.parse(
          pem,
          Buffer.concat([ecKey.export({ format: 'der', type: 'pkcs8' }), Buffer.from([0])]),
        ),
      Code.MalformedKey,
    ],
    [
      'random key bytes',
      () => X509Svid.parse(pem, Buffer.from('30030201ff', 'hex')),
      Code.MalformedKey,
    ],
    ['an empty certificate input', () => X509Svid.parse(Buffer.alloc(0), ecKey), Code.EmptyChain],
    [
      'DER with trailing bytes (X509-28)',
      () => X509Svid.parse(Buffer.concat([der, Buffer.from([0, 1])]), ecKey),
      Code.MalformedCertificate,
    ],
    [
      'DER truncated by one byte',
      () => X509Svid.parse(der.subarray(0, der.length - 1), ecKey),
      Code.MalformedCertificate,
    ],
    [
      'a PEM block that is not CERTIFICATE',
      () => X509Svid.parse(pem.replaceAll('CERTIFICATE', 'X509 CRL'), ecKey),
      Code.MalformedCertificate,
    ],
    [
      'a PEM block holding two certificates',
      () =>
        X509Svid.parse(
          `-----BEGIN CERTIFICATE-----\n${der.toString('base64')}\n-----END CERTIFICATE-----\n`,
          ecKey,
        ),
      Code.MalformedCertificate,
    ],
    [
      'PEM with a non-base64 character in the body',
      () => X509Svid.parse(leaf.pem.replace(/\n([A-Za-z0-9+/]{10})/, '\n!$1'), ecKey),
      Code.MalformedCertificate,
    ],
    [
      'PEM with text between blocks',
      () => X509Svid.parse(`${leaf.pem}junk\n${inter.pem}`, ecKey),
      Code.MalformedCertificate,
    ],
    [
      'an intermediate that is not a CA',
      () => X509Svid.parse([leaf.cert, createLeaf(root).cert], ecKey),
      Code.IssuerNotCa,
    ],
  ];
  it.each(cases)('rejects %s', (_n, fn, code) => {
    expect(caught(fn).code).toBe(code);
  });

  it('rejects wrong argument types with TypeError', () => {
    expect(() => X509Svid.parse(42 as unknown as string, ecKey)).toThrow(TypeError);
    expect(() => X509Svid.parse(pem, 42 as unknown as string)).toThrow(TypeError);
  });
});
