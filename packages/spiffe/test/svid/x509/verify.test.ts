import type { X509Certificate } from 'node:crypto';
import {
  X509SvidErrorCode as Code,
  checkX509SvidDer,
  TrustDomain,
  X509Bundle,
  type X509BundleSource,
  X509Svid,
  type X509SvidErrorCodeValue,
} from '@spire-ts/spiffe';
import { describe, expect, it } from 'vitest';
import {
  type CertOptions,
  createCa,
  createIntermediate,
  createLeaf,
  type TestCert,
} from '../../support/certs.js';

const AT = new Date();
const exampleOrg = TrustDomain.fromString('example.org');
const root = createCa({ commonName: 'Root CA' });
const bundle = new X509Bundle(exampleOrg, [root.cert]);

function caught(fn: () => unknown): { code?: string; message?: string } {
  try {
    fn();
  } catch (err) {
    return err as { code: string; message: string };
  }
  return {};
}

function certs(...list: TestCert[]): X509Certificate[] {
  return list.map((c) => c.cert);
}

/** A source over several trust domains' bundles. */
function bundleSet(...bundles: X509Bundle[]): X509BundleSource {
  return {
    getX509BundleForTrustDomain: (td) => bundles.find((b) => b.trustDomain.equals(td)),
  };
}

describe('X509Svid.verify leaf rules (X509-SVID §5.2), each rule broken once', () => {
  const cases: [string, CertOptions, X509SvidErrorCodeValue][] = [
    ['§2 no URI SAN', { uris: [] }, Code.NoUriSan],
    [
      '§2 two URI SANs',
      { uris: ['spiffe://example.org/a', 'spiffe://example.org/b'] },
      Code.MultipleUriSans,
    ],
    ['§2 URI SAN with a query', { uris: ['spiffe://example.org/a?x=1'] }, Code.InvalidSpiffeId],
    [
      '§2 URI SAN with upper-case path percent-encoding',
      { uris: ['spiffe://example.org/%41'] },
      Code.InvalidSpiffeId,
    ],
    [
      '§2 empty subject with a non-critical SAN',
      { commonName: null, sanCritical: false },
      Code.SanNotCritical,
    ],
    ['§3.1 leaf ID without a path', { uris: ['spiffe://example.org'] }, Code.LeafRootPath],
    ['§4.1 leaf with cA=true', { basicConstraints: { cA: true } }, Code.LeafIsCa],
    ['§4.3 leaf without keyUsage', { keyUsage: null }, Code.MissingKeyUsage],
    [
      '§4.3 leaf keyUsage not critical (X509-15)',
      { keyUsage: { bits: ['digitalSignature'], critical: false } },
      Code.KeyUsageNotCritical,
    ],
    [
      '§4.3 leaf with keyCertSign',
      { keyUsage: { bits: ['digitalSignature', 'keyCertSign'] } },
      Code.LeafKeyCertSign,
    ],
    [
      '§4.3 leaf with cRLSign',
      { keyUsage: { bits: ['digitalSignature', 'cRLSign'] } },
      Code.LeafCrlSign,
    ],
    [
      '§4.3 leaf without digitalSignature',
      { keyUsage: { bits: ['keyEncipherment'] } },
      Code.LeafNoDigitalSignature,
    ],
    [
      '§4.4 EKU with serverAuth only (X509-16)',
      { extKeyUsage: ['serverAuth'] },
      Code.LeafExtKeyUsage,
    ],
    ['§4.4 EKU with clientAuth only', { extKeyUsage: ['clientAuth'] }, Code.LeafExtKeyUsage],
    [
      '§4.4 EKU with anyExtendedKeyUsage only',
      { extKeyUsage: ['2.5.29.37.0'] },
      Code.LeafExtKeyUsage,
    ],
    [
      'RFC 5280 §4.1.2.5 leaf expired',
      { notBefore: new Date(AT.getTime() - 7_200_000), notAfter: new Date(AT.getTime() - 1_000) },
      Code.Expired,
    ],
    [
      'RFC 5280 §4.1.2.5 leaf not yet valid',
      { notBefore: new Date(AT.getTime() + 20_000) },
      Code.NotYetValid,
    ],
    [
      'RFC 5280 §4.2 unknown critical extension',
      { extraExtensions: [{ oid: '1.2.3.4.5', critical: true, value: new Uint8Array([5, 0]) }] },
      Code.UnknownCriticalExtension,
    ],
    [
      'RFC 5280 §4.2 duplicate extension',
      {
        extraExtensions: [
          { oid: '2.5.29.15', critical: true, value: new Uint8Array([3, 2, 7, 0x80]) },
        ],
      },
      Code.DuplicateExtension,
    ],
    [
      'RFC 5280 §4.1.1.2 outer and inner signature algorithms differ',
      { mismatchSignatureAlgorithm: true },
      Code.SignatureAlgorithmMismatch,
    ],
    ['RFC 5280 §4.1.2.1 version 1 certificate', { version: 1 }, Code.NotVersion3],
    [
      'RFC 5280 §6.1.3 (a)(1) signature by another key',
      { signWith: createCa().privateKey },
      Code.BadSignature,
    ],
  ];

  it.each(cases)('%s is rejected', (_name, options, code) => {
    const leaf = createLeaf(root, options);
    expect(caught(() => X509Svid.verify(certs(leaf), bundle, { at: AT })).code).toBe(code);
  });

  it('accepts the unbroken leaf, with extra DNS, IP, e-mail and otherName SANs (C11)', () => {
    const leaf = createLeaf(root, {
      dnsNames: ['w.example.org'],
      ipAddresses: ['10.0.0.1'],
      emails: ['a@example.org'],
      otherNames: [['1.3.6.1.4.1.311.20.2.3', 'w@example.org']],
    });
    const result = X509Svid.verify(certs(leaf), bundle, { at: AT });
    expect(result.id.toString()).toBe('spiffe://example.org/workload');
    expect(result.verifiedChain).toEqual([leaf.cert, root.cert]);
  });

  it('accepts a leaf without extKeyUsage (§4.4 SHOULD) and an empty subject with a critical SAN', () => {
    const leaf = createLeaf(root, { extKeyUsage: null, commonName: null });
    expect(X509Svid.verify(certs(leaf), bundle, { at: AT }).id.path).toBe('/workload');
  });

  it('accepts at exactly notBefore and exactly notAfter (RFC 5280 §4.1.2.5 inclusive)', () => {
    const notBefore = new Date(Math.floor(AT.getTime() / 1000) * 1000 - 5_000);
    const notAfter = new Date(notBefore.getTime() + 60_000);
    const leaf = createLeaf(root, { notBefore, notAfter });
    expect(X509Svid.verify(certs(leaf), bundle, { at: notBefore }).id.path).toBe('/workload');
    expect(X509Svid.verify(certs(leaf), bundle, { at: notAfter }).id.path).toBe('/workload');
    const late = new Date(notAfter.getTime() + 1_000);
    expect(caught(() => X509Svid.verify(certs(leaf), bundle, { at: late })).code).toBe(
      Code.Expired,
    );
  });
});

describe('X509Svid.verify path rules (RFC 5280 §6.1), each rule broken once', () => {
  const cases: [string, CertOptions, X509SvidErrorCodeValue][] = [
    ['intermediate without basicConstraints', { basicConstraints: null }, Code.IssuerNotCa],
    ['intermediate with cA=false', { basicConstraints: { cA: false } }, Code.IssuerNotCa],
    ['intermediate without keyUsage', { keyUsage: null }, Code.MissingKeyUsage],
    [
      'intermediate keyUsage without keyCertSign',
      { keyUsage: { bits: ['digitalSignature'] } },
      Code.IssuerNoKeyCertSign,
    ],
    [
      'intermediate keyUsage not critical',
      { keyUsage: { bits: ['keyCertSign'], critical: false } },
      Code.KeyUsageNotCritical,
    ],
    [
      'intermediate SPIFFE ID with a path (X509-SVID §3.2)',
      { uris: ['spiffe://example.org/ca'] },
      Code.IssuerIdHasPath,
    ],
    ['intermediate expired', { notAfter: new Date(AT.getTime() - 1_000) }, Code.Expired],
    [
      'intermediate unknown critical extension',
      { extraExtensions: [{ oid: '1.2.3.4', critical: true, value: new Uint8Array([5, 0]) }] },
      Code.UnknownCriticalExtension,
    ],
    [
      'intermediate pathLen 0 above another intermediate',
      { basicConstraints: { cA: true, pathLen: 0 } },
      Code.PathLenExceeded,
    ],
    [
      'intermediate name constraint permitting only other.org',
      { nameConstraints: { permittedUris: ['other.org'] } },
      Code.NameConstraints,
    ],
    [
      'intermediate name constraint excluding example.org',
      { nameConstraints: { excludedUris: ['example.org'] } },
      Code.NameConstraints,
    ],
    [
      'intermediate e-mail name constraint (unsupported form, fail closed)',
      { nameConstraints: { permittedEmails: ['example.org'] } },
      Code.NameConstraints,
    ],
  ];

  it.each(cases)('%s is rejected', (_name, options, code) => {
    const upper = createIntermediate(root, options);
    const lower = createIntermediate(upper, { commonName: 'Lower CA' });
    const leaf = createLeaf(lower);
    const err = caught(() => X509Svid.verify(certs(leaf, lower, upper), bundle, { at: AT }));
    expect(err.code).toBe(code);
  });

  it('names the offending certificate in the message', () => {
    const upper = createIntermediate(root, { keyUsage: { bits: ['digitalSignature'] } });
    const lower = createIntermediate(upper, { commonName: 'Lower CA' });
    const leaf = createLeaf(lower);
    expect(
      caught(() => X509Svid.verify(certs(leaf, lower, upper), bundle, { at: AT })).message,
    ).toBe('intermediate 2 signs a certificate but its keyUsage lacks keyCertSign');
  });

  it('accepts pathLen 1 above one intermediate, name constraints permitting example.org, and any order of intermediates', () => {
    const upper = createIntermediate(root, {
      basicConstraints: { cA: true, pathLen: 1 },
      nameConstraints: { permittedUris: ['example.org'], permittedDns: ['example.org'] },
    });
    const lower = createIntermediate(upper, { commonName: 'Lower CA' });
    const leaf = createLeaf(lower, { dnsNames: ['a.example.org'] });
    const result = X509Svid.verify(certs(leaf, upper, lower), bundle, { at: AT });
    expect(result.verifiedChain).toEqual([leaf.cert, lower.cert, upper.cert, root.cert]);
  });

  it('rejects a DNS SAN outside a DNS name constraint', () => {
    const upper = createIntermediate(root, { nameConstraints: { permittedDns: ['example.org'] } });
    const leaf = createLeaf(upper, { dnsNames: ['evil.com'] });
    const err = caught(() => X509Svid.verify(certs(leaf, upper), bundle, { at: AT }));
    expect(err).toMatchObject({
      code: Code.NameConstraints,
      message: 'leaf dns name "evil.com" is outside the permitted subtrees of intermediate 1',
    });
  });

  it('enforces the bundle authority own pathLen, keyUsage and validity (X509-24)', () => {
    const cases: [CertOptions, X509SvidErrorCodeValue][] = [
      [{ basicConstraints: { cA: true, pathLen: 0 } }, Code.PathLenExceeded],
      [{ keyUsage: { bits: ['digitalSignature'] } }, Code.IssuerNoKeyCertSign],
      [{ notAfter: new Date(AT.getTime() - 1_000) }, Code.Expired],
    ];
    for (const [options, code] of cases) {
      const anchor = createCa(options);
      const inter = createIntermediate(anchor);
      const leaf = createLeaf(inter);
      const err = caught(() =>
        X509Svid.verify(certs(leaf, inter), new X509Bundle(exampleOrg, [anchor.cert]), { at: AT }),
      );
      expect(err.code).toBe(code);
    }
  });

  it('rejects a chain whose issuer is missing, with no authority named', () => {
    const inter = createIntermediate(root);
    const leaf = createLeaf(inter);
    expect(caught(() => X509Svid.verify(certs(leaf), bundle, { at: AT })).code).toBe(
      Code.UnknownAuthority,
    );
  });

  it('rejects an empty chain and a chain over 16 certificates', () => {
    expect(caught(() => X509Svid.verify([], bundle, { at: AT })).code).toBe(Code.EmptyChain);
    const leaf = createLeaf(root);
    const long = Array.from({ length: 17 }, () => leaf.cert);
    expect(caught(() => X509Svid.verify(long, bundle, { at: AT })).code).toBe(Code.ChainTooLong);
  });
});

describe('bug cases C06-C13', () => {
  it('C06 rejects a SPIFFE URI plus a second non-SPIFFE URI SAN (X509-SVID §2, §5.2)', () => {
    const leaf = createLeaf(root, {
      uris: ['spiffe://example.org/svc', 'https://example.org/other'],
    });
    expect(caught(() => X509Svid.verify(certs(leaf), bundle, { at: AT })).code).toBe(
      Code.MultipleUriSans,
    );
  });

  it.each([
    [
      'cA=true with keyCertSign',
      { basicConstraints: { cA: true }, keyUsage: { bits: ['digitalSignature', 'keyCertSign'] } },
      Code.LeafIsCa,
    ],
    [
      'cA=false with keyCertSign',
      { keyUsage: { bits: ['digitalSignature', 'keyCertSign'] } },
      Code.LeafKeyCertSign,
    ],
    [
      'cA=false with cRLSign',
      { keyUsage: { bits: ['digitalSignature', 'cRLSign'] } },
      Code.LeafCrlSign,
    ],
    ['no digitalSignature', { keyUsage: { bits: ['keyAgreement'] } }, Code.LeafNoDigitalSignature],
  ] as [string, CertOptions, X509SvidErrorCodeValue][])(
    'C07 rejects a CA-like certificate as a leaf: %s (X509-SVID §4.1, §4.3, §5.2)',
    (_n, options, code) => {
      const leaf = createLeaf(root, options);
      expect(caught(() => X509Svid.verify(certs(leaf), bundle, { at: AT })).code).toBe(code);
    },
  );

  it('C08 rejects a path-less leaf ID and a leaf without digitalSignature in verify and parse (X509-SVID §3.1, §4.3)', () => {
    const noPath = createLeaf(root, { uris: ['spiffe://example.org'] });
    const noDs = createLeaf(root, { keyUsage: { bits: ['keyEncipherment'] } });
    expect(caught(() => X509Svid.verify(certs(noPath), bundle, { at: AT })).code).toBe(
      Code.LeafRootPath,
    );
    expect(caught(() => X509Svid.parse(noPath.der, noPath.privateKey)).code).toBe(
      Code.LeafRootPath,
    );
    expect(caught(() => X509Svid.verify(certs(noDs), bundle, { at: AT })).code).toBe(
      Code.LeafNoDigitalSignature,
    );
    expect(caught(() => X509Svid.parse(noDs.der, noDs.privateKey)).code).toBe(
      Code.LeafNoDigitalSignature,
    );
  });

  it('C09 accepts an intermediate CA without any SAN (X509-SVID §3.2)', () => {
    const inter = createIntermediate(root, { uris: [] });
    const leaf = createLeaf(inter);
    expect(X509Svid.verify(certs(leaf, inter), bundle, { at: AT }).verifiedChain).toHaveLength(3);
    expect(X509Svid.parse([leaf.cert, inter.cert], leaf.privateKey).certificates).toHaveLength(2);
  });

  it('C10 reports an over-long URI SAN as a bad SPIFFE ID, naming it (X509-SVID §2; SPIFFE-ID §2.3)', () => {
    const long = `spiffe://example.org/${'a'.repeat(2100)}`;
    const leaf = createLeaf(root, { uris: [long] });
    const err = caught(() => X509Svid.verify(certs(leaf), bundle, { at: AT }));
    expect(err.code).toBe(Code.InvalidSpiffeId);
    expect(err.message).toContain('leaf uri san "spiffe://example.org/aaaa');
    expect(err.message).toContain('(2121 bytes)');
    const both = createLeaf(root, { uris: ['spiffe://example.org/w', long] });
    expect(caught(() => X509Svid.verify(certs(both), bundle, { at: AT })).code).toBe(
      Code.MultipleUriSans,
    );
  });

  it('C11 ignores IP and otherName SANs and reports a malformed SPIFFE URI as an ordinary error', () => {
    const ok = createLeaf(root, {
      ipAddresses: ['10.0.0.1'],
      otherNames: [['1.3.6.1.4.1.311.20.2.3', 'x']],
    });
    expect(X509Svid.verify(certs(ok), bundle, { at: AT }).id.toString()).toBe(
      'spiffe://example.org/workload',
    );
    const bad = createLeaf(root, { uris: ['spiffe://exa mple.org/w'], ipAddresses: ['10.0.0.1'] });
    expect(caught(() => X509Svid.verify(certs(bad), bundle, { at: AT })).code).toBe(
      Code.InvalidSpiffeId,
    );
  });

  it("C12 checks the leaf only against its own trust domain's bundle (Workload API §4.6, Federation §7.3)", () => {
    const caA = createCa({ trustDomain: 'example.org', commonName: 'CA A' });
    const caB = createCa({ trustDomain: 'other.org', commonName: 'CA B' });
    const set = bundleSet(
      new X509Bundle(exampleOrg, [caA.cert]),
      new X509Bundle(TrustDomain.fromString('other.org'), [caB.cert]),
    );
    const forged = createLeaf(caA, { uris: ['spiffe://other.org/payments'] });
    expect(caught(() => X509Svid.verify(certs(forged), set, { at: AT })).code).toBe(
      Code.UnknownAuthority,
    );
    const honest = createLeaf(caB, { uris: ['spiffe://other.org/payments'] });
    expect(X509Svid.verify(certs(honest), set, { at: AT }).id.toString()).toBe(
      'spiffe://other.org/payments',
    );
    const unknownTd = createLeaf(caA, { uris: ['spiffe://third.org/w'] });
    expect(caught(() => X509Svid.verify(certs(unknownTd), set, { at: AT })).code).toBe(
      Code.NoBundle,
    );
  });

  it('C12 rejects a leaf issued under the same CA name by a key outside its bundle', () => {
    const impostor = createCa({ commonName: 'Root CA' });
    const leaf = createLeaf(impostor);
    expect(caught(() => X509Svid.verify(certs(leaf), bundle, { at: AT }))).toMatchObject({
      code: Code.BadSignature,
      message:
        'leaf signature does not verify with the key of bundle authority 1, its named issuer',
    });
  });

  it('C12 refuses a source that answers with a bundle of another trust domain', () => {
    const lying: X509BundleSource = { getX509BundleForTrustDomain: () => bundle };
    const leaf = createLeaf(root, { uris: ['spiffe://other.org/w'] });
    expect(caught(() => X509Svid.verify(certs(leaf), lying, { at: AT })).code).toBe(Code.NoBundle);
  });

  it('C13 accepts a server SVID with only a URI SAN: no host name is checked (X509-SVID §5)', () => {
    const leaf = createLeaf(root, { uris: ['spiffe://example.org/server'], dnsNames: [] });
    expect(X509Svid.verify(certs(leaf), bundle, { at: AT }).id.toString()).toBe(
      'spiffe://example.org/server',
    );
  });
});

describe('basicConstraints that OpenSSL and Go cannot decode (RFC 5280 §4.2.1.9) is refused', () => {
  // The ASN.1 library read a BOOLEAN of any length (none: false, two bytes: true), an empty or
  // padded INTEGER and fields after pathLenConstraint: before the shape check, verify and parse
  // accepted as a CA an intermediate with the first two, fourth, sixth or seventh encoding below,
  // and refused the others only by later rules (not a CA, path length -1 exceeded).
  const hex = (s: string) => new Uint8Array(Buffer.from(s.replace(/ /g, ''), 'hex'));
  const malformedBc = (label: string) => ({
    code: Code.MalformedCertificate,
    message: `${label} extension 2.5.29.19 is not valid der`,
  });
  const codeAndMessage = (fn: () => unknown) => {
    const { code, message } = caught(fn);
    return { code, message };
  };
  const bcOnly = (value: string): CertOptions => ({
    basicConstraints: null,
    extraExtensions: [{ oid: '2.5.29.19', critical: true, value: hex(value) }],
  });

  const intermediates: [string, string][] = [
    ['cA as a BOOLEAN of two bytes', '30 04 01 02 00 ff'],
    ['cA as a BOOLEAN of two bytes, the last non-zero', '30 04 01 02 00 01'],
    ['cA as an empty BOOLEAN, then a pathLen', '30 05 01 00 02 01 00'],
    ['pathLenConstraint as an empty INTEGER', '30 05 01 01 ff 02 00'],
    ['a negative pathLenConstraint', '30 06 01 01 ff 02 01 ff'],
    ['a pathLenConstraint with a padding byte', '30 07 01 01 ff 02 02 00 01'],
    ['a field after pathLenConstraint', '30 08 01 01 ff 02 01 00 05 00'],
    ['pathLenConstraint before cA', '30 06 02 01 00 01 01 ff'],
  ];
  it.each(intermediates)('intermediate with %s: verify, parse, checkX509SvidDer', (_n, value) => {
    const inter = createIntermediate(root, bcOnly(value));
    const leaf = createLeaf(inter);
    const spki = leaf.publicKey.export({ format: 'der', type: 'spki' });
    const expected = malformedBc('intermediate 1');
    expect(codeAndMessage(() => X509Svid.verify(certs(leaf, inter), bundle, { at: AT }))).toEqual(
      expected,
    );
    expect(codeAndMessage(() => X509Svid.parse([leaf.der, inter.der], leaf.privateKey))).toEqual(
      expected,
    );
    expect(codeAndMessage(() => checkX509SvidDer([leaf.der, inter.der], spki))).toEqual(expected);
  });

  it('a leaf whose cA is an empty BOOLEAN (read as cA=false before)', () => {
    const inter = createIntermediate(root);
    const leaf = createLeaf(inter, bcOnly('30 02 01 00'));
    const spki = leaf.publicKey.export({ format: 'der', type: 'spki' });
    const expected = malformedBc('leaf');
    expect(codeAndMessage(() => X509Svid.verify(certs(leaf, inter), bundle, { at: AT }))).toEqual(
      expected,
    );
    expect(codeAndMessage(() => X509Svid.parse([leaf.der, inter.der], leaf.privateKey))).toEqual(
      expected,
    );
    expect(codeAndMessage(() => checkX509SvidDer([leaf.der, inter.der], spki))).toEqual(expected);
  });

  it('still accepts the DER forms and OpenSSL’s BOOLEAN of any non-zero byte', () => {
    for (const value of ['30 03 01 01 ff', '30 06 01 01 ff 02 01 00', '30 03 01 01 01']) {
      const inter = createIntermediate(root, bcOnly(value));
      const leaf = createLeaf(inter);
      expect(X509Svid.verify(certs(leaf, inter), bundle, { at: AT }).id.toString()).toBe(
        'spiffe://example.org/workload',
      );
    }
    const inter = createIntermediate(root);
    for (const value of ['30 00', '30 03 01 01 00']) {
      const leaf = createLeaf(inter, bcOnly(value));
      expect(X509Svid.parse([leaf.der, inter.der], leaf.privateKey).id.toString()).toBe(
        'spiffe://example.org/workload',
      );
    }
  });
});
