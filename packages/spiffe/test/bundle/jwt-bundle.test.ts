import { generateKeyPairSync } from 'node:crypto';
import { BundleErrorCode, JwtBundle, TrustDomain } from '@spire-ts/spiffe';
import { describe, expect, it } from 'vitest';
import { caught, ecJwk, ecPublicKey, fixtureBundleText } from './support.js';

const TD = TrustDomain.fromString('example.org');

function jwks(...keys: Record<string, unknown>[]): string {
  return JSON.stringify({ keys });
}

function kids(bundle: JwtBundle): string[] {
  return [...bundle.jwtAuthorities().keys()];
}

describe('JwtBundle.parse (Workload API JWK Set, §6.2.2)', () => {
  it('loads a plain JWK Set without use (BUNDLE-21 fixture; bug case C23 input B)', () => {
    expect(kids(JwtBundle.parse(TD, fixtureBundleText('BUNDLE-21')))).toEqual(['k1']);
  });

  const loads: [string, Record<string, unknown>, string[]][] = [
    ['loads an entry without use', { ...ecJwk(), kid: 'a' }, ['a']],
    ['loads an entry with use sig', { ...ecJwk(), kid: 'a', use: 'sig' }, ['a']],
    [
      'loads an entry with use jwt-svid (bug case C20)',
      { ...ecJwk(), kid: 'a', use: 'jwt-svid' },
      ['a'],
    ],
    ['ignores an entry with use x509-svid', { ...ecJwk(), kid: 'a', use: 'x509-svid' }, []],
    ['ignores an entry with use enc', { ...ecJwk(), kid: 'a', use: 'enc' }, []],
    ['ignores an entry without kid (Decision b)', { ...ecJwk() }, []],
    ['ignores an entry with an empty kid', { ...ecJwk(), kid: '' }, []],
    ['ignores an entry whose kid is not a string', { ...ecJwk(), kid: 7 }, []],
    ['ignores an unknown kty (Bundle §4.2.2)', { kty: 'XYZ', kid: 'a' }, []],
    [
      'ignores a symmetric oct key, never an authority',
      { kty: 'oct', kid: 'a', k: 'c2VjcmV0' },
      [],
    ],
    [
      'loads an RSA key',
      {
        ...(generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({
          format: 'jwk',
        }) as object),
        kid: 'r',
      },
      ['r'],
    ],
  ];
  it.each(loads)('%s', (_name, entry, expected) => {
    expect(kids(JwtBundle.parse(TD, jwks(entry)))).toEqual(expected);
  });

  const rejected: [string, string, string][] = [
    [
      'rejects two keys with one kid (BUNDLE-12 choice)',
      jwks({ ...ecJwk(), kid: 'a' }, { ...ecJwk(), kid: 'a' }),
      BundleErrorCode.DuplicateKid,
    ],
    [
      'rejects an entry carrying private member d',
      jwks({ ...ecJwk(), kid: 'a', d: 'AAAA' }),
      BundleErrorCode.InvalidJwk,
    ],
    [
      'rejects EC parameters that are not a point',
      jwks({ ...ecJwk(), kid: 'a', x: 'AAAA' }),
      BundleErrorCode.InvalidJwk,
    ],
    ['rejects a document without keys', '{}', BundleErrorCode.MissingMember],
    ['rejects keys that is not an array', '{"keys":{}}', BundleErrorCode.InvalidMember],
    ['rejects a key entry that is not an object', '{"keys":[1]}', BundleErrorCode.InvalidMember],
    ['rejects a document that is not an object', '[]', BundleErrorCode.InvalidMember],
    ['rejects text that is not JSON', '{"keys":[', BundleErrorCode.JsonSyntax],
  ];
  it.each(rejected)('%s', (_name, text, code) => {
    expect(caught(() => JwtBundle.parse(TD, text)).code).toBe(code);
  });
});

describe('JwtBundle', () => {
  const k1 = ecPublicKey();
  const k2 = ecPublicKey();
  const bundle = new JwtBundle(
    TD,
    new Map([
      ['k1', k1],
      ['k2', k2],
    ]),
  );

  it('finds authorities by kid', () => {
    expect(bundle.findJwtAuthority('k2')).toBe(k2);
    expect(bundle.findJwtAuthority('k3')).toBeUndefined();
  });

  it('marshals a JWK Set without use that parses back to an equal bundle', () => {
    const text = bundle.marshal();
    const doc = JSON.parse(text) as { keys: Record<string, string>[] };
    expect(doc.keys.map((k) => [k.kid, k.kty, k.use])).toEqual([
      ['k1', 'EC', undefined],
      ['k2', 'EC', undefined],
    ]);
    const back = JwtBundle.parse(TD, Buffer.from(text));
    expect(back.equals(bundle)).toBe(true);
    expect(back.marshal()).toBe(text);
  });

  it('answers only for its own trust domain', () => {
    expect(bundle.getJwtBundleForTrustDomain(TD)).toBe(bundle);
    expect(bundle.getJwtBundleForTrustDomain(TrustDomain.fromString('other.org'))).toBeUndefined();
  });

  it('copies its authorities, so later changes to the input map do not leak in', () => {
    const input = new Map([['k1', k1]]);
    const b = new JwtBundle(TD, input);
    input.set('k2', k2);
    (b.jwtAuthorities() as Map<string, unknown>).set('k3', k2);
    expect(kids(b)).toEqual(['k1']);
  });

  it('compares keys by value under the same kids', () => {
    expect(
      bundle.equals(
        new JwtBundle(
          TD,
          new Map([
            ['k2', k2],
            ['k1', k1],
          ]),
        ),
      ),
    ).toBe(true);
    expect(
      bundle.equals(
        new JwtBundle(
          TD,
          new Map([
            ['k1', k2],
            ['k2', k1],
          ]),
        ),
      ),
    ).toBe(false);
    expect(bundle.equals(new JwtBundle(TD, new Map([['k1', k1]])))).toBe(false);
  });

  const badAuthorities: [string, () => unknown, string][] = [
    [
      'rejects a private key as an authority',
      () =>
        new JwtBundle(
          TD,
          new Map([['k', generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey]]),
        ),
      BundleErrorCode.InvalidAuthority,
    ],
    [
      'rejects an empty kid',
      () => new JwtBundle(TD, new Map([['', k1]])),
      BundleErrorCode.InvalidAuthority,
    ],
  ];
  it.each(badAuthorities)('%s', (_name, build, code) => {
    expect(caught(build).code).toBe(code);
  });
});

describe('marshal of a key a JWK cannot express (RFC 7517 §4)', () => {
  const keys: [string, () => { publicKey: import('node:crypto').KeyObject }][] = [
    ['an RSA-PSS key', () => generateKeyPairSync('rsa-pss', { modulusLength: 2048 })],
    ['a DSA key', () => generateKeyPairSync('dsa', { modulusLength: 2048, divisorLength: 256 })],
  ];

  it.each(keys)(
    'JwtBundle#marshal with %s is ERR_BUNDLE_INVALID_AUTHORITY naming the kid',
    (_n, make) => {
      const bundle = new JwtBundle(TD, new Map([['k9', make().publicKey]]));
      const err = caught(() => bundle.marshal());
      expect(err.code).toBe(BundleErrorCode.InvalidAuthority);
      expect(err.message).toBe('jwt authority "k9" has a key type that a jwk cannot express');
    },
  );
});
