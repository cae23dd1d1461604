import { generateKeyPairSync } from 'node:crypto';
import { BundleErrorCode, SpiffeBundle, TrustDomain } from '@spire-ts/spiffe';
import { describe, expect, it } from 'vitest';
import { CA1, CA2, caught, ecJwk, ecPublicKey } from './support.js';

const TD = TrustDomain.fromString('example.org');
const CA1_B64 = CA1.raw.toString('base64');
const CA2_B64 = CA2.raw.toString('base64');
const CA1_JWK = CA1.publicKey.export({ format: 'jwk' });

function doc(keys: unknown[], extra: string = ''): string {
  return `{"keys":${JSON.stringify(keys)}${extra}}`;
}

function x509(x5c: unknown, more: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...CA1_JWK, use: 'x509-svid', x5c, ...more };
}

describe('SpiffeBundle.parse: x509-svid entries (X509-SVID §6.2)', () => {
  const cases: [string, unknown[], string[]][] = [
    ['uses the first x5c value and ignores the rest', [x509([CA1_B64, CA2_B64])], [CA1_B64]],
    ['ignores an entry whose x5c is absent', [{ ...CA1_JWK, use: 'x509-svid' }], []],
    ['ignores an entry whose x5c is empty', [x509([])], []],
    ['ignores an entry with an unknown kty (Bundle §4.2.2)', [x509([CA1_B64], { kty: 'PQ' })], []],
    ['ignores an entry without kty', [{ use: 'x509-svid', x5c: [CA1_B64] }], []],
    ['tolerates a kid on an x509-svid entry', [x509([CA1_B64], { kid: 'x' })], [CA1_B64]],
    ['keeps a repeated certificate once', [x509([CA1_B64]), x509([CA1_B64])], [CA1_B64]],
    ['loads entries in document order', [x509([CA2_B64]), x509([CA1_B64])], [CA2_B64, CA1_B64]],
  ];
  it.each(cases)('%s', (_name, keys, expected) => {
    const bundle = SpiffeBundle.parse(TD, doc(keys));
    expect(bundle.x509Authorities().map((c) => c.raw.toString('base64'))).toEqual(expected);
  });

  const rejected: [string, unknown[]][] = [
    ['rejects an x5c that is not an array', [x509(CA1_B64)]],
    ['rejects a first x5c value that is not a string', [x509([7])]],
    [
      'rejects URL-safe base64 in x5c (RFC 7517 §4.7)',
      [x509([CA1_B64.replace(/\+/g, '-').replace(/\//g, '_')])],
    ],
    ['rejects base64 cut short of a whole quantum', [x509([CA1_B64.slice(0, -1)])]],
    ['rejects base64 with line breaks', [x509([`${CA1_B64.slice(0, 64)}\n${CA1_B64.slice(64)}`])]],
    [
      'rejects DER with trailing bytes',
      [x509([Buffer.concat([CA1.raw, Buffer.from([0])]).toString('base64')])],
    ],
    [
      'rejects two certificates in one x5c value',
      [x509([Buffer.concat([CA1.raw, CA2.raw]).toString('base64')])],
    ],
    ['rejects base64 PEM text in x5c', [x509([Buffer.from(CA1.toString()).toString('base64')])]],
    ['rejects an empty first x5c value', [x509([''])]],
  ];
  it.each(rejected)('%s', (_name, keys) => {
    expect(caught(() => SpiffeBundle.parse(TD, doc(keys))).code).toBe(BundleErrorCode.InvalidX5c);
  });
});

describe('SpiffeBundle.parse: jwt-svid entries (JWT-SVID §6)', () => {
  const jwt = (more: Record<string, unknown>) => ({ ...ecJwk(), use: 'jwt-svid', ...more });
  const cases: [string, unknown[], string[]][] = [
    ['loads keys by kid', [jwt({ kid: 'a' }), jwt({ kid: 'b' })], ['a', 'b']],
    ['ignores an entry without kid (Decision b)', [jwt({})], []],
    [
      'ignores use sig in a SPIFFE bundle (Bundle §4.2.2)',
      [{ ...ecJwk(), use: 'sig', kid: 'a' }],
      [],
    ],
    [
      'ignores use in another case (Bundle §4.2.2: case-sensitive)',
      [{ ...ecJwk(), use: 'JWT-SVID', kid: 'a' }],
      [],
    ],
    ['ignores a use that is not a string', [{ ...ecJwk(), use: 1, kid: 'a' }], []],
    ['ignores a symmetric key', [{ kty: 'oct', k: 'c2VjcmV0', use: 'jwt-svid', kid: 'a' }], []],
  ];
  it.each(cases)('%s', (_name, keys, expected) => {
    expect([...SpiffeBundle.parse(TD, doc(keys)).jwtAuthorities().keys()]).toEqual(expected);
  });

  const rejected: [string, unknown[], string][] = [
    [
      'rejects two keys with one kid (BUNDLE-12)',
      [jwt({ kid: 'a' }), jwt({ kid: 'a' })],
      BundleErrorCode.DuplicateKid,
    ],
    ['rejects private key material', [jwt({ kid: 'a', d: 'AAAA' })], BundleErrorCode.InvalidJwk],
    ['rejects an EC key off its curve', [jwt({ kid: 'a', y: 'AAAA' })], BundleErrorCode.InvalidJwk],
  ];
  it.each(rejected)('%s', (_name, keys, code) => {
    expect(caught(() => SpiffeBundle.parse(TD, doc(keys))).code).toBe(code);
  });
});

describe('SpiffeBundle.parse: top-level members (Bundle §4.1)', () => {
  const sequences: [string, string, bigint | undefined][] = [
    ['no sequence', '', undefined],
    ['zero', ',"spiffe_sequence":0', 0n],
    ['2^53 + 1 exactly (Bundle §4.1.1)', ',"spiffe_sequence":9007199254740993', 9007199254740993n],
    ['2^64 - 1', ',"spiffe_sequence":18446744073709551615', 18446744073709551615n],
  ];
  it.each(sequences)('reads spiffe_sequence: %s', (_name, extra, expected) => {
    expect(SpiffeBundle.parse(TD, doc([], extra)).sequenceNumber).toBe(expected);
  });

  const hints: [string, string, number | undefined, number][] = [
    ['absent: default 5 minutes (Bundle §6.1)', '', undefined, 300],
    ['300 s', ',"spiffe_refresh_hint":300', 300, 300],
    ['0: clamped to the 1 minute floor', ',"spiffe_refresh_hint":0', 0, 60],
    ['negative: clamped to the floor', ',"spiffe_refresh_hint":-5', -5, 60],
    [
      'a week: clamped to the 1 hour ceiling (bug case C30)',
      ',"spiffe_refresh_hint":604800',
      604800,
      3600,
    ],
  ];
  it.each(hints)('reads spiffe_refresh_hint: %s', (_name, extra, hint, interval) => {
    const bundle = SpiffeBundle.parse(TD, doc([], extra));
    expect(bundle.refreshHintSeconds).toBe(hint);
    expect(bundle.refreshIntervalSeconds()).toBe(interval);
  });

  const rejected: [string, string, string][] = [
    ['a negative sequence', ',"spiffe_sequence":-1', BundleErrorCode.InvalidMember],
    [
      'a sequence of 2^64',
      ',"spiffe_sequence":18446744073709551616',
      BundleErrorCode.InvalidMember,
    ],
    ['a sequence with a fraction', ',"spiffe_sequence":1.5', BundleErrorCode.InvalidMember],
    ['a sequence in exponent form', ',"spiffe_sequence":1e3', BundleErrorCode.InvalidMember],
    ['a sequence as a string', ',"spiffe_sequence":"1"', BundleErrorCode.InvalidMember],
    ['a sequence of null', ',"spiffe_sequence":null', BundleErrorCode.InvalidMember],
    [
      'a huge sequence literal',
      `,"spiffe_sequence":${'9'.repeat(5000)}`,
      BundleErrorCode.InvalidMember,
    ],
    [
      'a refresh hint as a string (BUNDLE-13 choice)',
      ',"spiffe_refresh_hint":"300"',
      BundleErrorCode.InvalidMember,
    ],
    ['a refresh hint with a fraction', ',"spiffe_refresh_hint":1.5', BundleErrorCode.InvalidMember],
    [
      'a refresh hint past 2^53',
      ',"spiffe_refresh_hint":9007199254740993',
      BundleErrorCode.InvalidMember,
    ],
    ['a duplicated keys member', ',"keys":[]', BundleErrorCode.JsonDuplicateKey],
  ];
  it.each(rejected)('rejects %s', (_name, extra, code) => {
    expect(caught(() => SpiffeBundle.parse(TD, doc([], extra))).code).toBe(code);
  });

  it('ignores unknown members (Bundle §4.1)', () => {
    expect(
      SpiffeBundle.parse(TD, doc([], ',"extra":{"a":[1,2]},"spiffe_x":true')).equals(
        new SpiffeBundle(TD),
      ),
    ).toBe(true);
  });

  it('accepts its arguments in either order', () => {
    const text = doc([x509([CA1_B64])]);
    expect(SpiffeBundle.parse(text, TD).equals(SpiffeBundle.parse(TD, Buffer.from(text)))).toBe(
      true,
    );
    expect(() => SpiffeBundle.parse(text, text as never)).toThrow(TypeError);
  });

  it('takes the trust domain as a name too, and a bad name as a SpiffeIdError', () => {
    const text = doc([x509([CA1_B64])]);
    const byName = SpiffeBundle.parse(text, TD.name);
    expect(byName.trustDomain.name).toBe(TD.name);
    expect(byName.equals(SpiffeBundle.parse(TD, text))).toBe(true);
    expect(SpiffeBundle.parse(TD.name, text).equals(byName)).toBe(true);
    expect(() => SpiffeBundle.parse(text, 'Bad Domain')).toThrow(
      expect.objectContaining({ code: 'ERR_SPIFFEID_BAD_TRUST_DOMAIN_CHAR' }),
    );
  });
});

describe('SpiffeBundle.marshal', () => {
  const k1 = ecPublicKey();
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
  const bundle = new SpiffeBundle(TD, {
    x509Authorities: [CA1, CA2],
    jwtAuthorities: new Map([
      ['k1', k1],
      ['r1', rsa],
    ]),
    sequenceNumber: 18446744073709551615n,
    refreshHintSeconds: 300,
  });

  it('writes one x509-svid entry per CA with one x5c value and no kid (X509-SVID §6.1)', () => {
    const out = JSON.parse(bundle.marshal()) as { keys: Record<string, unknown>[] };
    const x509Entries = out.keys.filter((k) => k.use === 'x509-svid');
    expect(x509Entries.map((k) => [k.kty, k.kid, k.x5c])).toEqual([
      ['EC', undefined, [CA1_B64]],
      ['EC', undefined, [CA2_B64]],
    ]);
  });

  it('writes one jwt-svid entry per key with its kid (JWT-SVID §6.1)', () => {
    const out = JSON.parse(bundle.marshal()) as { keys: Record<string, unknown>[] };
    expect(out.keys.filter((k) => k.use === 'jwt-svid').map((k) => [k.kid, k.kty])).toEqual([
      ['k1', 'EC'],
      ['r1', 'RSA'],
    ]);
  });

  it('writes the sequence as an exact integer literal after the refresh hint', () => {
    expect(bundle.marshal()).toMatch(
      /,"spiffe_refresh_hint":300,"spiffe_sequence":18446744073709551615}$/,
    );
  });

  it('round-trips, compact and indented', () => {
    for (const text of [bundle.marshal(), bundle.marshal(2)]) {
      const back = SpiffeBundle.parse(TD, text);
      expect(back.equals(bundle)).toBe(true);
      expect(back.marshal()).toBe(bundle.marshal());
    }
    expect(bundle.marshal(2)).toContain('\n  "spiffe_sequence": 18446744073709551615\n}');
  });

  it('writes an empty bundle as an empty key set (Bundle §4.1.3)', () => {
    expect(new SpiffeBundle(TD).marshal()).toBe('{"keys":[]}');
  });
});

describe('SpiffeBundle', () => {
  it('hands out its parts per trust domain', () => {
    const k1 = ecPublicKey();
    const b = new SpiffeBundle(TD, {
      x509Authorities: [CA1],
      jwtAuthorities: new Map([['k1', k1]]),
    });
    expect(b.getX509BundleForTrustDomain(TD)).toBe(b.x509Bundle());
    expect(b.getJwtBundleForTrustDomain(TD)?.findJwtAuthority('k1')).toBe(k1);
    expect(b.findJwtAuthority('k1')).toBe(k1);
    expect(b.getX509BundleForTrustDomain(TrustDomain.fromString('other.org'))).toBeUndefined();
    expect(b.getJwtBundleForTrustDomain(TrustDomain.fromString('other.org'))).toBeUndefined();
    expect(Object.isFrozen(b)).toBe(true);
  });

  const badInit: [string, () => unknown][] = [
    ['a negative sequence', () => new SpiffeBundle(TD, { sequenceNumber: -1n })],
    ['a sequence past 2^64-1', () => new SpiffeBundle(TD, { sequenceNumber: 1n << 64n })],
    ['a fractional refresh hint', () => new SpiffeBundle(TD, { refreshHintSeconds: 0.5 })],
  ];
  it.each(badInit)('rejects %s at construction', (_name, build) => {
    expect(caught(build).code).toBe(BundleErrorCode.InvalidMember);
  });
});
