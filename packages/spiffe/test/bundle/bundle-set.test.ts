import {
  BundleErrorCode,
  BundleSet,
  JwtBundle,
  marshalBundleMap,
  parseBundleMap,
  SpiffeBundle,
  TrustDomain,
  X509Bundle,
} from '@spire-ts/spiffe';
import { describe, expect, it } from 'vitest';
import { CA1, CA2, caught, ders, ecPublicKey } from './support.js';

const A = TrustDomain.fromString('a.example');
const B = TrustDomain.fromString('b.example');
const C = TrustDomain.fromString('c.example');

describe('BundleSet', () => {
  it('iterates in trust domain name order whatever the insertion order', () => {
    const set = new BundleSet([new SpiffeBundle(C), new SpiffeBundle(A), new SpiffeBundle(B)]);
    expect([...set].map((b) => b.trustDomain.name)).toEqual([
      'a.example',
      'b.example',
      'c.example',
    ]);
    expect(set.trustDomains().map((td) => td.name)).toEqual([
      'a.example',
      'b.example',
      'c.example',
    ]);
    expect(set.size).toBe(3);
  });

  it('replaces the bundle of a trust domain and returns the old one', () => {
    const set = new BundleSet();
    const first = new SpiffeBundle(A, { x509Authorities: [CA1] });
    const second = new SpiffeBundle(A, { x509Authorities: [CA2] });
    expect(set.add(first)).toBeUndefined();
    expect(set.add(second)).toBe(first);
    expect(set.get(A)).toBe(second);
    expect(set.size).toBe(1);
  });

  it('removes a trust domain', () => {
    const set = new BundleSet([new SpiffeBundle(A), new SpiffeBundle(B)]);
    expect(set.remove(A)).toBe(true);
    expect(set.remove(A)).toBe(false);
    expect(set.has(A)).toBe(false);
    expect(set.trustDomains()).toEqual([B]);
    set.clear();
    expect(set.size).toBe(0);
  });

  it('serves each trust domain its own X.509 and JWT authorities, nothing for others', () => {
    const k1 = ecPublicKey();
    const set = new BundleSet([
      new X509Bundle(A, [CA1]),
      new SpiffeBundle(B, { x509Authorities: [CA2], jwtAuthorities: new Map([['k1', k1]]) }),
    ]);
    expect(ders(set.getX509BundleForTrustDomain(A)?.x509Authorities())).toEqual(ders([CA1]));
    expect(ders(set.getX509BundleForTrustDomain(B)?.x509Authorities())).toEqual(ders([CA2]));
    expect(set.getJwtBundleForTrustDomain(A)?.isEmpty()).toBe(true);
    expect(set.getJwtBundleForTrustDomain(B)?.findJwtAuthority('k1')).toBe(k1);
    expect(set.getX509BundleForTrustDomain(C)).toBeUndefined();
    expect(set.getJwtBundleForTrustDomain(C)).toBeUndefined();
  });

  it('looks trust domains up by canonical name', () => {
    const set = new BundleSet([new JwtBundle(A, new Map())]);
    expect(set.has(TrustDomain.fromString('A.Example'))).toBe(true);
  });

  it('rejects objects that are not bundles', () => {
    expect(() => new BundleSet([{} as never])).toThrow(TypeError);
  });
});

describe('parseBundleMap (Bundle §5.1.1)', () => {
  const bundleA = new SpiffeBundle(A, { x509Authorities: [CA1], sequenceNumber: 7n });
  const bundleB = new SpiffeBundle(B, { x509Authorities: [CA2], refreshHintSeconds: 60 });

  it('round-trips, keys in name order, per-bundle refresh hints left out', () => {
    const text = marshalBundleMap([bundleB, bundleA]);
    expect(text.startsWith('{"trust_domains":{"a.example":{"keys":[')).toBe(true);
    expect(text).not.toContain('spiffe_refresh_hint');
    const set = parseBundleMap(text);
    expect(set.get(A)?.equals(bundleA)).toBe(true);
    expect(ders(set.get(B)?.x509Authorities())).toEqual(ders([CA2]));
    expect(set.get(B)?.refreshHintSeconds).toBeUndefined();
    expect(marshalBundleMap(set)).toBe(text);
  });

  const accepted: [string, string, string[]][] = [
    ['reads an empty map', '{"trust_domains":{}}', []],
    [
      'folds ASCII upper case in keys (Decision a)',
      '{"trust_domains":{"B.Example":{"keys":[]}}}',
      ['b.example'],
    ],
    [
      'accepts the spiffe://name form of a key',
      '{"trust_domains":{"spiffe://a.example":{"keys":[]}}}',
      ['a.example'],
    ],
    [
      'ignores unknown top-level members',
      '{"x":1,"trust_domains":{"a.example":{"keys":[]}}}',
      ['a.example'],
    ],
  ];
  it.each(accepted)('%s', (_name, text, expected) => {
    expect(
      parseBundleMap(text)
        .trustDomains()
        .map((td) => td.name),
    ).toEqual(expected);
  });

  const rejected: [string, string, string][] = [
    [
      'a repeated key (BUNDLE-18)',
      '{"trust_domains":{"a.example":{"keys":[]},"a.example":{"keys":[]}}}',
      BundleErrorCode.JsonDuplicateKey,
    ],
    [
      'keys equal after case folding (BUNDLE-19 decision)',
      '{"trust_domains":{"a.example":{"keys":[]},"A.EXAMPLE":{"keys":[]}}}',
      BundleErrorCode.DuplicateTrustDomain,
    ],
    [
      'a name and its spiffe:// form together',
      '{"trust_domains":{"a.example":{"keys":[]},"spiffe://a.example":{"keys":[]}}}',
      BundleErrorCode.DuplicateTrustDomain,
    ],
    [
      'an invalid trust domain key',
      '{"trust_domains":{"a example":{"keys":[]}}}',
      BundleErrorCode.InvalidTrustDomain,
    ],
    [
      'a key with a path',
      '{"trust_domains":{"spiffe://a.example/x":{"keys":[]}}}',
      BundleErrorCode.InvalidTrustDomain,
    ],
    ['an empty key', '{"trust_domains":{"":{"keys":[]}}}', BundleErrorCode.InvalidTrustDomain],
    ['a missing trust_domains', '{}', BundleErrorCode.MissingMember],
    ['trust_domains that is an array', '{"trust_domains":[]}', BundleErrorCode.InvalidMember],
    [
      'an entry that is not a bundle',
      '{"trust_domains":{"a.example":[]}}',
      BundleErrorCode.InvalidMember,
    ],
    ['an entry without keys', '{"trust_domains":{"a.example":{}}}', BundleErrorCode.MissingMember],
    ['a document that is an array', '[]', BundleErrorCode.InvalidMember],
  ];
  it.each(rejected)('rejects %s', (_name, text, code) => {
    expect(caught(() => parseBundleMap(text)).code).toBe(code);
  });
});
