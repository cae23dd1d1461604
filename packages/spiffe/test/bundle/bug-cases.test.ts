import { BundleSet, JwtBundle, SpiffeBundle, TrustDomain, X509Bundle } from '@spire-ts/spiffe';
import { describe, expect, it } from 'vitest';
import { CA1, CA2, ders, ecJwk } from './support.js';

const TD = TrustDomain.fromString('example.org');
const OTHER = TrustDomain.fromString('other.org');
const CA1_JWK = CA1.publicKey.export({ format: 'jwk' });

describe('bug cases (vectors/bug-cases.md)', () => {
  it('C20: use jwt-svid is the SPIFFE value and loads; an unknown use drops only that entry', () => {
    const text = JSON.stringify({
      keys: [
        { ...ecJwk(), kid: 'k1', use: 'jwt-svid' },
        { ...ecJwk(), kid: 'k2', use: 'enc' },
      ],
    });
    expect([...SpiffeBundle.parse(TD, text).jwtAuthorities().keys()]).toEqual(['k1']);
  });

  it('C21: an x509-svid entry without x5c does not drop the entries after it (X509-SVID §6.2)', () => {
    const text = JSON.stringify({
      keys: [
        { ...CA1_JWK, use: 'x509-svid' },
        { ...CA1_JWK, use: 'x509-svid', x5c: [CA2.raw.toString('base64')] },
        { ...CA1_JWK, use: 'x509-svid', x5c: [CA1.raw.toString('base64')] },
      ],
    });
    expect(ders(SpiffeBundle.parse(TD, text).x509Authorities())).toEqual(ders([CA2, CA1]));
  });

  it('C22: an empty federated bundle parses and trusts nothing, leaving other bundles alone', () => {
    const empty = SpiffeBundle.parse(OTHER, '{"keys":[]}');
    const set = new BundleSet([new X509Bundle(TD, [CA1]), empty]);
    expect(set.getX509BundleForTrustDomain(OTHER)?.isEmpty()).toBe(true);
    expect(ders(set.getX509BundleForTrustDomain(TD)?.x509Authorities())).toEqual(ders([CA1]));
    expect(X509Bundle.fromDer(OTHER, new Uint8Array()).isEmpty()).toBe(true);
  });

  it('C23: the use filter applies to SPIFFE bundles, not to Workload API JWK Sets', () => {
    const inputA = JSON.stringify({
      keys: [
        { ...ecJwk(), kid: 'k1' },
        { ...ecJwk(), kid: 'k2', use: 'jwt-svid' },
      ],
    });
    const inputB = JSON.stringify({ keys: [{ ...ecJwk(), kid: 'k1' }] });
    expect([...SpiffeBundle.parse(TD, inputA).jwtAuthorities().keys()]).toEqual(['k2']);
    expect([...JwtBundle.parse(TD, inputB).jwtAuthorities().keys()]).toEqual(['k1']);
  });

  it('C26: a bundle set keeps every federated bundle under its own trust domain', () => {
    const example2 = TrustDomain.fromString('example2.org');
    const set = new BundleSet([
      X509Bundle.fromDer(TD, CA1.raw),
      X509Bundle.fromDer(example2, CA2.raw),
    ]);
    expect(ders(set.getX509BundleForTrustDomain(example2)?.x509Authorities())).toEqual(ders([CA2]));
    expect(ders(set.getX509BundleForTrustDomain(TD)?.x509Authorities())).toEqual(ders([CA1]));
  });

  const c30: [string, string, number][] = [
    ['a hint of hours is capped at one hour', '{"keys":[],"spiffe_refresh_hint":21600}', 3600],
    ['no hint defaults to five minutes', '{"keys":[]}', 300],
    ['a hint of 0 is floored at one minute', '{"keys":[],"spiffe_refresh_hint":0}', 60],
  ];
  it.each(c30)('C30: %s', (_name, text, interval) => {
    expect(SpiffeBundle.parse(TD, text).refreshIntervalSeconds()).toBe(interval);
  });
});
