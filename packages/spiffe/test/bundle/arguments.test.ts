import {
  BundleSet,
  JwtBundle,
  parseBundleMap,
  SpiffeBundle,
  TrustDomain,
  X509Bundle,
  X509Svid,
} from '@spire-ts/spiffe';
import { describe, expect, it } from 'vitest';
import { createCa, createLeaf } from '../support/certs.js';

const td = TrustDomain.fromString('example.org');
const ca = createCa();
const leaf = createLeaf(ca);
const bundleJson = JSON.stringify({
  keys: [{ use: 'x509-svid', kty: 'EC', x5c: [ca.der.toString('base64')] }],
});

type Build = (td: TrustDomain | string) => {
  trustDomain: TrustDomain;
  getX509BundleForTrustDomain?: (td: TrustDomain) => unknown;
  getJwtBundleForTrustDomain?: (td: TrustDomain) => unknown;
};

/** Every way to build a bundle; each takes the trust domain as a TrustDomain or as a name. */
const builders: [string, Build][] = [
  ['new X509Bundle', (t) => new X509Bundle(t, [ca.cert])],
  ['X509Bundle.fromPem', (t) => X509Bundle.fromPem(t, ca.pem)],
  ['X509Bundle.fromDer', (t) => X509Bundle.fromDer(t, ca.der)],
  ['new JwtBundle', (t) => new JwtBundle(t, new Map())],
  ['JwtBundle.parse', (t) => JwtBundle.parse(t, '{"keys":[]}')],
  ['new SpiffeBundle', (t) => new SpiffeBundle(t, { x509Authorities: [ca.cert] })],
  ['SpiffeBundle.parse', (t) => SpiffeBundle.parse(t, bundleJson)],
];

describe('bundles take the trust domain as a TrustDomain or a name, as SpiffeBundle.parse does', () => {
  it.each(builders)('%s with "example.org" serves example.org', (_n, build) => {
    const bundle = build('example.org');
    expect(bundle.trustDomain).toBeInstanceOf(TrustDomain);
    expect(bundle.trustDomain.equals(td)).toBe(true);
    const served =
      bundle.getX509BundleForTrustDomain?.(td) ?? bundle.getJwtBundleForTrustDomain?.(td);
    expect(served).toBeDefined();
  });

  it.each(builders)('%s with "spiffe://EXAMPLE.org" folds to example.org', (_n, build) => {
    expect(build('spiffe://EXAMPLE.org').trustDomain.name).toBe('example.org');
  });

  it.each(builders)('%s with a bad name is ERR_SPIFFEID_BAD_TRUST_DOMAIN_CHAR', (_n, build) => {
    expect(() => build('exa mple.org')).toThrow(
      expect.objectContaining({ code: 'ERR_SPIFFEID_BAD_TRUST_DOMAIN_CHAR' }),
    );
  });

  it.each(builders)('%s with a number is a TypeError', (_n, build) => {
    expect(() => build(42 as unknown as string)).toThrow(
      new TypeError('trust domain must be a TrustDomain or a trust domain name, got number'),
    );
  });

  it('an X509Bundle built from a name verifies an SVID of that trust domain', () => {
    const bundle = X509Bundle.fromPem('example.org', ca.pem);
    expect(X509Svid.verify([leaf.cert], bundle).id.toString()).toBe(
      'spiffe://example.org/workload',
    );
  });
});

describe('BundleSet lookups take a TrustDomain or a name', () => {
  const set = new BundleSet([SpiffeBundle.parse(bundleJson, td)]);
  const cases: [string, TrustDomain | string][] = [
    ['a TrustDomain', td],
    ['a name', 'example.org'],
    ['a SPIFFE ID of the trust domain', 'spiffe://example.org'],
  ];

  it.each(cases)('get, has with %s find the bundle', (_n, key) => {
    expect(set.get(key)?.trustDomain.name).toBe('example.org');
    expect(set.has(key)).toBe(true);
  });

  it('remove with a name removes the bundle', () => {
    const copy = new BundleSet(set);
    expect(copy.remove('example.org')).toBe(true);
    expect(copy.size).toBe(0);
  });

  it('a lookup with a number is a TypeError, not a silent miss', () => {
    expect(() => set.get(1 as unknown as string)).toThrow(TypeError);
  });
});

describe('JSON parsers take a string or bytes; anything else is a TypeError that says so', () => {
  const parsers: [string, (doc: unknown) => unknown][] = [
    ['SpiffeBundle.parse', (doc) => SpiffeBundle.parse(td, doc as string)],
    ['JwtBundle.parse', (doc) => JwtBundle.parse(td, doc as string)],
    ['parseBundleMap', (doc) => parseBundleMap(doc as string)],
  ];

  it.each(parsers)('%s given an already parsed object', (_n, parse) => {
    expect(() => parse({ keys: [] })).toThrow(
      new TypeError('json must be a string or a Uint8Array, got object'),
    );
  });

  it.each(parsers)('%s given bytes as a Uint8Array and as a Buffer', (_n, parse) => {
    const doc = '{"keys":[],"trust_domains":{}}';
    expect(() => parse(new Uint8Array(Buffer.from(doc)))).not.toThrow();
    expect(() => parse(Buffer.from(doc))).not.toThrow();
  });
});
