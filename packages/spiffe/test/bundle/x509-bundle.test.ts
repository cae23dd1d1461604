import { BundleErrorCode, TrustDomain, X509Bundle } from '@spire-ts/spiffe';
import { describe, expect, it } from 'vitest';
import { CA1, CA2, caught, pemOf } from './support.js';

const TD = TrustDomain.fromString('example.org');
const OTHER = TrustDomain.fromString('other.org');
const KEY_PEM = '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n';

function subjects(bundle: X509Bundle): string[] {
  return bundle.x509Authorities().map((c) => c.subject.replace(/\n/g, ','));
}

describe('X509Bundle.fromPem', () => {
  const accepted: [string, string, string[]][] = [
    ['reads one certificate', pemOf(CA1), ['O=SPIFFE Fixtures,CN=CA1']],
    [
      'reads concatenated certificates in order',
      pemOf(CA2) + pemOf(CA1),
      ['O=SPIFFE Fixtures,CN=CA2', 'O=SPIFFE Fixtures,CN=CA1'],
    ],
    [
      'ignores explanatory text between blocks (RFC 7468 §5)',
      `subject=CA1\n${pemOf(CA1)}\nissuer=CA2\r\n${pemOf(CA2).replace(/\n/g, '\r\n')}`,
      ['O=SPIFFE Fixtures,CN=CA1', 'O=SPIFFE Fixtures,CN=CA2'],
    ],
    ['keeps a repeated certificate once', pemOf(CA1) + pemOf(CA1), ['O=SPIFFE Fixtures,CN=CA1']],
    ['yields an empty bundle for empty input', '', []],
    ['yields an empty bundle for blank input', ' \n\t\n', []],
  ];
  it.each(accepted)('%s', (_name, pem, expected) => {
    expect(subjects(X509Bundle.fromPem(TD, pem))).toEqual(expected);
    expect(subjects(X509Bundle.fromPem(TD, Buffer.from(pem)))).toEqual(expected);
  });

  const rejected: [string, string, string, RegExp][] = [
    [
      'rejects a private key block, naming it',
      pemOf(CA1) + KEY_PEM,
      BundleErrorCode.InvalidPem,
      /"PRIVATE KEY" is not a CERTIFICATE/,
    ],
    [
      'rejects text without any block',
      'not a certificate',
      BundleErrorCode.InvalidPem,
      /no CERTIFICATE block/,
    ],
    [
      'rejects a block without END',
      pemOf(CA1).split('-----END')[0] ?? '',
      BundleErrorCode.InvalidPem,
      /no END line/,
    ],
    [
      'rejects mismatched END label',
      pemOf(CA1).replace('END CERTIFICATE', 'END X509 CRL'),
      BundleErrorCode.InvalidPem,
      /does not match/,
    ],
    [
      'rejects a body that is not base64',
      '-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n',
      BundleErrorCode.InvalidPem,
      /not base64/,
    ],
    [
      'rejects an empty body',
      '-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n',
      BundleErrorCode.InvalidPem,
      /not base64/,
    ],
    [
      'rejects a body that is not a certificate',
      '-----BEGIN CERTIFICATE-----\nMAMCAQE=\n-----END CERTIFICATE-----\n',
      BundleErrorCode.InvalidCertificate,
      /PEM block 0 is not/,
    ],
  ];
  it.each(rejected)('%s', (_name, pem, code, message) => {
    const err = caught(() => X509Bundle.fromPem(TD, pem));
    expect(err.code).toBe(code);
    expect(err.message).toMatch(message);
  });
});

describe('X509Bundle.fromDer', () => {
  it('reads concatenated DER certificates in order', () => {
    const bundle = X509Bundle.fromDer(TD, Buffer.concat([CA1.raw, CA2.raw]));
    expect(bundle.x509Authorities().map((c) => c.raw)).toEqual([CA1.raw, CA2.raw]);
  });

  it('yields an empty bundle for empty input', () => {
    expect(X509Bundle.fromDer(TD, new Uint8Array()).isEmpty()).toBe(true);
  });

  const rejected: [string, Uint8Array, RegExp][] = [
    [
      'rejects a truncated certificate',
      CA1.raw.subarray(0, CA1.raw.length - 1),
      /byte 0 .*past the end/,
    ],
    [
      'rejects trailing bytes after a certificate',
      Buffer.concat([CA1.raw, Buffer.from([0x30])]),
      /truncated length/,
    ],
    [
      'rejects input that is not a SEQUENCE',
      Buffer.from([0x04, 0x01, 0x00]),
      /expected an ASN.1 SEQUENCE/,
    ],
    ['rejects PEM text given as DER', Buffer.from(pemOf(CA1)), /expected an ASN.1 SEQUENCE/],
    [
      'rejects a SEQUENCE that is not a certificate',
      Buffer.from([0x30, 0x03, 0x02, 0x01, 0x01]),
      /DER certificate 0 is not a DER/,
    ],
  ];
  it.each(rejected)('%s', (_name, der, message) => {
    const err = caught(() => X509Bundle.fromDer(TD, der));
    expect(err.code).toBe(BundleErrorCode.InvalidCertificate);
    expect(err.message).toMatch(message);
  });
});

describe('X509Bundle', () => {
  const bundle = new X509Bundle(TD, [CA1, CA2]);

  it('round-trips through PEM and DER', () => {
    expect(X509Bundle.fromPem(TD, bundle.toPem()).equals(bundle)).toBe(true);
    expect(X509Bundle.fromDer(TD, bundle.toDer()).equals(bundle)).toBe(true);
    expect(bundle.toPem()).toBe(pemOf(CA1) + pemOf(CA2));
  });

  it('answers only for its own trust domain', () => {
    expect(bundle.getX509BundleForTrustDomain(TrustDomain.fromString('EXAMPLE.org'))).toBe(bundle);
    expect(bundle.getX509BundleForTrustDomain(OTHER)).toBeUndefined();
  });

  it('is immutable', () => {
    expect(Object.isFrozen(bundle)).toBe(true);
    expect(Object.isFrozen(bundle.x509Authorities())).toBe(true);
    expect(() => (bundle.x509Authorities() as unknown[]).push(CA1)).toThrow(TypeError);
  });

  it('compares by trust domain and certificates in order', () => {
    expect(bundle.equals(new X509Bundle(TD, [CA1, CA2]))).toBe(true);
    expect(bundle.equals(new X509Bundle(TD, [CA2, CA1]))).toBe(false);
    expect(bundle.equals(new X509Bundle(OTHER, [CA1, CA2]))).toBe(false);
    expect(bundle.hasX509Authority(CA2)).toBe(true);
    expect(new X509Bundle(TD, [CA1]).hasX509Authority(CA2)).toBe(false);
  });

  it('rejects authorities that are not X509Certificate objects', () => {
    expect(() => new X509Bundle(TD, [CA1.raw as never])).toThrow(TypeError);
  });
});
