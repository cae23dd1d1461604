import { generateKeyPairSync } from 'node:crypto';
import { JwtBundle, JwtSvid, TrustDomain } from '@spire-ts/spiffe';
import { describe, expect, it } from 'vitest';
import { AT, AT_S, ATTACKER, claims, K1, K2, K384, K521, R1, testBundles } from './keys.js';
import { bundleSource, craft, outcome, segment } from './support.js';

const ES256_K1 = { alg: 'ES256', kid: 'k1', typ: 'JWT' };

function validate(token: string, audiences = ['svc-a'], leewaySeconds?: number) {
  return outcome(() =>
    JwtSvid.parseAndValidate(token, testBundles(), audiences, { at: AT, leewaySeconds }),
  );
}

describe('JwtSvid.parseAndValidate: alg (JWT-SVID 2.1, 4; bug case C18)', () => {
  it.each([
    ['ES256 with a P-256 key', { alg: 'ES256', kid: 'k1' }, K1.privateKey, 'accepted'],
    ['ES384 with a P-384 key', { alg: 'ES384', kid: 'k384' }, K384.privateKey, 'accepted'],
    ['ES512 with a P-521 key', { alg: 'ES512', kid: 'k521' }, K521.privateKey, 'accepted'],
    ['RS256', { alg: 'RS256', kid: 'r1' }, R1.privateKey, 'accepted'],
    ['RS384', { alg: 'RS384', kid: 'r1' }, R1.privateKey, 'accepted'],
    ['RS512', { alg: 'RS512', kid: 'r1' }, R1.privateKey, 'accepted'],
    ['PS256', { alg: 'PS256', kid: 'r1' }, R1.privateKey, 'accepted'],
    ['PS384', { alg: 'PS384', kid: 'r1' }, R1.privateKey, 'accepted'],
    ['PS512', { alg: 'PS512', kid: 'r1' }, R1.privateKey, 'accepted'],
    ['RS256 naming an EC key', { alg: 'RS256', kid: 'k1' }, R1.privateKey, 'SIGNATURE_INVALID'],
    ['ES384 naming a P-256 key', { alg: 'ES384', kid: 'k1' }, K384.privateKey, 'SIGNATURE_INVALID'],
    [
      'PS256 signature sent as RS256',
      { alg: 'RS256', kid: 'r1' },
      R1.privateKey,
      'SIGNATURE_INVALID',
      'PS256',
    ],
  ])('%s gives %s', (_name, header, key, expected, signAs?: string) => {
    const token = craft({ ...header, typ: 'JWT' }, claims(), key, signAs);
    expect(validate(token)).toBe(expected === 'accepted' ? expected : `ERR_JWTSVID_${expected}`);
  });

  it.each([
    ['HS256', { alg: 'HS256', kid: 'k1' }],
    ['none', { alg: 'none' }],
    ['EdDSA', { alg: 'EdDSA', kid: 'k1' }],
    ['lower-case es256', { alg: 'es256', kid: 'k1' }],
    ['missing alg', { kid: 'k1' }],
    ['alg as a number', { alg: 256, kid: 'k1' }],
    ['alg as an array', { alg: ['ES256'], kid: 'k1' }],
  ])('alg %s is rejected before any key lookup', (_name, header) => {
    // The signature segment is junk: alg must fail before it is even decoded.
    const token = `${segment(header)}.${segment(claims())}.!!`;
    expect(validate(token)).toBe('ERR_JWTSVID_UNSUPPORTED_ALG');
  });
});

describe('JwtSvid.parseAndValidate: header (JWT-SVID 2, 2.3; bug case C17)', () => {
  it.each([
    ['typ JWT', { typ: 'JWT' }, 'accepted'],
    ['typ JOSE', { typ: 'JOSE' }, 'accepted'],
    ['no typ', { typ: undefined }, 'accepted'],
    ['typ at+jwt', { typ: 'at+jwt' }, 'ERR_JWTSVID_BAD_TYP'],
    ['typ invalid', { typ: 'invalid' }, 'ERR_JWTSVID_BAD_TYP'],
    ['typ jwt in lower case (our choice for JWT-39)', { typ: 'jwt' }, 'ERR_JWTSVID_BAD_TYP'],
    ['typ null', { typ: null }, 'ERR_JWTSVID_BAD_TYP'],
    ['kid as a number', { kid: 1 }, 'ERR_JWTSVID_BAD_HEADER'],
    ['a crit member', { crit: ['exp'] }, 'ERR_JWTSVID_BAD_HEADER'],
    ['a jwk member on a genuine token', { jwk: { kty: 'EC' } }, 'ERR_JWTSVID_BAD_HEADER'],
    ['an x5c member on a genuine token', { x5c: [] }, 'ERR_JWTSVID_BAD_HEADER'],
    ['a private member', { role: 'admin' }, 'ERR_JWTSVID_BAD_HEADER'],
  ])('%s gives %s', (_name, extra, expected) => {
    expect(validate(craft({ ...ES256_K1, ...extra }, claims(), K1.privateKey))).toBe(expected);
  });

  it('a jwk member holding the signing key is never used to verify (JWT-40)', () => {
    const jwk = ATTACKER.publicKey.export({ format: 'jwk' });
    const token = craft({ ...ES256_K1, jwk }, claims(), ATTACKER.privateKey);
    expect(validate(token)).toBe('ERR_JWTSVID_SIGNATURE_INVALID');
  });
});

describe('JwtSvid.parseAndValidate: key selection (Workload API 6.3; bug case C16)', () => {
  it.each([
    ['no kid, signed by the first of several keys', undefined, K1.privateKey, 'accepted'],
    ['no kid, signed by a P-384 key among others', undefined, K384.privateKey, 'accepted', 'ES384'],
    [
      'no kid, signed by a key outside the bundle',
      undefined,
      ATTACKER.privateKey,
      'ERR_JWTSVID_SIGNATURE_INVALID',
    ],
    [
      'no kid, signed by the other trust domain key',
      undefined,
      K2.privateKey,
      'ERR_JWTSVID_SIGNATURE_INVALID',
    ],
    ['kid of the other trust domain', 'k2', K2.privateKey, 'ERR_JWTSVID_UNKNOWN_KID'],
    ['empty kid', '', K1.privateKey, 'ERR_JWTSVID_UNKNOWN_KID'],
    [
      'kid names a different key than the signer',
      'k1',
      K2.privateKey,
      'ERR_JWTSVID_SIGNATURE_INVALID',
    ],
  ])('%s gives %s', (_name, kid, key, expected, alg = 'ES256') => {
    const header = kid === undefined ? { alg } : { alg, kid };
    expect(validate(craft(header, claims(), key))).toBe(expected);
  });

  it("uses only the bundle of sub's trust domain, even when another bundle holds the key", () => {
    const token = craft({ alg: 'ES256', kid: 'k2' }, claims(), K2.privateKey);
    expect(validate(token)).toBe('ERR_JWTSVID_UNKNOWN_KID');
    const other = craft(
      { alg: 'ES256', kid: 'k2' },
      claims({ sub: 'spiffe://other.org/w' }),
      K2.privateKey,
    );
    expect(validate(other)).toBe('accepted');
  });

  it('no kid and a bundle without authorities is a bad signature', () => {
    const empty = bundleSource([new JwtBundle(TrustDomain.fromString('example.org'), new Map())]);
    const token = craft({ alg: 'ES256' }, claims(), K1.privateKey);
    expect(outcome(() => JwtSvid.parseAndValidate(token, empty, ['svc-a'], { at: AT }))).toBe(
      'ERR_JWTSVID_SIGNATURE_INVALID',
    );
  });

  it('an RSA authority under 2048 bits is refused (RFC 7518 3.3)', () => {
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const bundles = testBundles({ weak: weak.publicKey });
    const token = craft({ alg: 'RS256', kid: 'weak' }, claims(), weak.privateKey);
    expect(outcome(() => JwtSvid.parseAndValidate(token, bundles, ['svc-a'], { at: AT }))).toBe(
      'ERR_JWTSVID_SIGNATURE_INVALID',
    );
  });
});

describe('JwtSvid.parseAndValidate: aud (JWT-SVID 3.2; bug cases C14, C15)', () => {
  it.each([
    ['C14: a single string is one audience', 'svc.example.org', ['svc.example.org'], 'accepted'],
    ['C14: a string never matches by its characters', 'abc', ['a'], 'ERR_JWTSVID_AUD_MISMATCH'],
    [
      'Decision c: any one expected audience is enough',
      ['x', 'svc-b'],
      ['svc-a', 'svc-b'],
      'accepted',
    ],
    ['compared case-sensitively', ['SVC-A'], ['svc-a'], 'ERR_JWTSVID_AUD_MISMATCH'],
    ['an empty array is missing', [], ['svc-a'], 'ERR_JWTSVID_MISSING_AUD'],
    ['null is missing', null, ['svc-a'], 'ERR_JWTSVID_MISSING_AUD'],
    ['a number is malformed', 7, ['svc-a'], 'ERR_JWTSVID_MALFORMED_CLAIMS'],
    [
      'an array with a number is malformed',
      ['svc-a', 7],
      ['svc-a'],
      'ERR_JWTSVID_MALFORMED_CLAIMS',
    ],
    ['an object is malformed', { 0: 'svc-a' }, ['svc-a'], 'ERR_JWTSVID_MALFORMED_CLAIMS'],
  ])('%s', (_name, aud, expected, result) => {
    expect(validate(craft(ES256_K1, claims({ aud }), K1.privateKey), expected)).toBe(result);
  });

  it('C15: an empty expected-audience list is a caller error, with or without aud', () => {
    const withAud = craft(ES256_K1, claims(), K1.privateKey);
    const withoutAud = craft(ES256_K1, claims({ aud: undefined }), K1.privateKey);
    expect(validate(withAud, [])).toBe('ERR_JWTSVID_NO_EXPECTED_AUDIENCE');
    expect(validate(withoutAud, [])).toBe('ERR_JWTSVID_NO_EXPECTED_AUDIENCE');
    expect(outcome(() => JwtSvid.parseInsecure(withAud, [], { at: AT }))).toBe(
      'ERR_JWTSVID_NO_EXPECTED_AUDIENCE',
    );
  });

  it('returns aud as a frozen list', () => {
    const svid = JwtSvid.parseAndValidate(
      craft(ES256_K1, claims({ aud: 'svc-a' }), K1.privateKey),
      testBundles(),
      ['svc-a'],
      { at: AT },
    );
    expect(svid.audience).toEqual(['svc-a']);
    expect(Object.isFrozen(svid.audience)).toBe(true);
  });
});

describe('JwtSvid.parseAndValidate: time (JWT-SVID 3.3; README Decision e)', () => {
  it.each([
    ['exp 29 s past, within the 30 s leeway', { exp: AT_S - 29 }, undefined, 'accepted'],
    [
      'exp 30 s past, at the leeway edge (JWT-16)',
      { exp: AT_S - 30 },
      undefined,
      'ERR_JWTSVID_EXPIRED',
    ],
    ['exp now with no leeway', { exp: AT_S }, 0, 'ERR_JWTSVID_EXPIRED'],
    ['exp half a second ahead with no leeway', { exp: AT_S + 0.5 }, 0, 'accepted'],
    ['exp 100 s past with a 120 s leeway', { exp: AT_S - 100 }, 120, 'accepted'],
    ['nbf 30 s ahead, within the leeway', { nbf: AT_S + 30 }, undefined, 'accepted'],
    [
      'nbf 31 s ahead, beyond the leeway',
      { nbf: AT_S + 31 },
      undefined,
      'ERR_JWTSVID_NOT_YET_VALID',
    ],
    ['nbf 1 s ahead with no leeway', { nbf: AT_S + 1 }, 0, 'ERR_JWTSVID_NOT_YET_VALID'],
    ['iat far in the future is ignored', { iat: AT_S + 86_400 }, undefined, 'accepted'],
    ['iat as a string is ignored', { iat: 'yesterday' }, undefined, 'accepted'],
    ['missing exp', { exp: undefined }, undefined, 'ERR_JWTSVID_MISSING_EXP'],
    ['exp as a string', { exp: String(AT_S + 300) }, undefined, 'ERR_JWTSVID_MALFORMED_CLAIMS'],
    ['exp beyond the range of a date', { exp: 1e300 }, undefined, 'ERR_JWTSVID_MALFORMED_CLAIMS'],
    ['nbf as a string', { nbf: 'now' }, undefined, 'ERR_JWTSVID_MALFORMED_CLAIMS'],
  ])('%s gives %s', (_name, overrides, leeway, expected) => {
    expect(validate(craft(ES256_K1, claims(overrides), K1.privateKey), ['svc-a'], leeway)).toBe(
      expected,
    );
  });

  it('expiresAt is exp as a Date, and a fresh copy each time', () => {
    const token = craft(ES256_K1, claims(), K1.privateKey);
    const svid = JwtSvid.parseAndValidate(token, testBundles(), ['svc-a'], { at: AT });
    expect(svid.expiresAt.toISOString()).toBe('2030-01-01T00:05:00.000Z');
    svid.expiresAt.setTime(0);
    expect(svid.expiresAt.toISOString()).toBe('2030-01-01T00:05:00.000Z');
  });
});

describe('JwtSvid.parseAndValidate: sub and structure (JWT-SVID 3.1, 5.1)', () => {
  it.each([
    ['sub as a number', { sub: 5 }, 'ERR_JWTSVID_INVALID_SUB'],
    [
      'sub with an upper-case trust domain is folded',
      { sub: 'spiffe://EXAMPLE.org/w' },
      'accepted',
    ],
    ['sub with a trailing slash', { sub: 'spiffe://example.org/w/' }, 'ERR_JWTSVID_INVALID_SUB'],
    ['sub of an unknown trust domain', { sub: 'spiffe://else.org/w' }, 'ERR_JWTSVID_NO_BUNDLE'],
  ])('%s gives %s', (_name, overrides, expected) => {
    expect(validate(craft(ES256_K1, claims(overrides), K1.privateKey))).toBe(expected);
  });

  const good = craft(ES256_K1, claims(), K1.privateKey);
  const [h, p, s] = good.split('.') as [string, string, string];
  it.each([
    ['two parts', `${h}.${p}`],
    ['four parts', `${good}.${s}`],
    ['padding in the signature', `${h}.${p}.${s}=`],
    ['standard base64 characters', `${h}.${p}.${s.replace(/-/g, '+').replace(/_/g, '/')}+`],
    ['whitespace', `${h}.${p} .${s}`],
    ['a header that is a JSON array', `${segment(['ES256'])}.${p}.${s}`],
    ['a header that is not JSON', `${Buffer.from('{alg').toString('base64url')}.${p}.${s}`],
    ['a payload that is JSON null', `${h}.${segment(null)}.${s}`],
    ['a payload of impossible base64url length', `${h}.${p}a.${s}`],
    ['the empty string', ''],
  ])('%s is malformed', (_name, token) => {
    expect(validate(token)).toBe('ERR_JWTSVID_MALFORMED');
  });
});

describe('JwtSvid.parseAndValidate: one token, one encoding', () => {
  const good = craft(ES256_K1, claims(), K1.privateKey);
  const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  // A 64-byte signature is 86 characters: the last one carries 2 bits, its 4 low bits unused.
  const last = good.at(-1) as string;
  const twin = B64[B64.indexOf(last) ^ 0b0001] as string;

  it('a signature whose last character differs only in unused bits is malformed', () => {
    const signature = good.split('.')[2] as string;
    expect(Buffer.from(signature.slice(0, -1) + twin, 'base64url')).toEqual(
      Buffer.from(signature, 'base64url'),
    );
    expect(validate(good)).toBe('accepted');
    expect(validate(good.slice(0, -1) + twin)).toBe('ERR_JWTSVID_MALFORMED');
  });

  it('names the curve an ES algorithm needs when the kid names a key on another curve', () => {
    const token = craft({ alg: 'ES384', kid: 'k1' }, claims(), K384.privateKey);
    expect(() => JwtSvid.parseAndValidate(token, testBundles(), ['svc-a'], { at: AT })).toThrow(
      'ES384 needs an ec key on secp384r1, got ec key on prime256v1',
    );
  });
});

describe('JwtSvid.parseAndValidate: arguments and result', () => {
  const token = craft(ES256_K1, claims(), K1.privateKey);
  it.each([
    [
      'a token that is not a string',
      () => JwtSvid.parseAndValidate(42 as never, testBundles(), ['a']),
    ],
    [
      'audiences that are not strings',
      () => JwtSvid.parseAndValidate(token, testBundles(), [1] as never),
    ],
    [
      'an invalid date',
      () => JwtSvid.parseAndValidate(token, testBundles(), ['svc-a'], { at: new Date(Number.NaN) }),
    ],
    ['bundles that are not a source', () => JwtSvid.parseAndValidate(token, {} as never, ['a'])],
    ['bundles that are null', () => JwtSvid.parseAndValidate(token, null as never, ['a'])],
    [
      'a negative leeway',
      () => JwtSvid.parseAndValidate(token, testBundles(), ['svc-a'], { leewaySeconds: -1 }),
    ],
  ])('%s is ERR_JWTSVID_INVALID_ARGUMENT', (_name, call) => {
    expect(outcome(call)).toBe('ERR_JWTSVID_INVALID_ARGUMENT');
  });

  it('returns a deeply frozen SVID with the claims, token and no hint', () => {
    const extra = craft(ES256_K1, claims({ ctx: { role: ['a'] } }), K1.privateKey);
    const svid = JwtSvid.parseAndValidate(extra, testBundles(), ['svc-a'], { at: AT });
    expect(svid.id.toString()).toBe('spiffe://example.org/workload');
    expect(svid.claims).toEqual(claims({ ctx: { role: ['a'] } }));
    expect(svid.marshal()).toBe(extra);
    expect(svid.hint).toBeUndefined();
    expect(Object.isFrozen(svid)).toBe(true);
    expect(Object.isFrozen((svid.claims.ctx as { role: string[] }).role)).toBe(true);
    const hinted = svid.withHint('internal');
    expect([hinted.hint, svid.hint, hinted.token]).toEqual(['internal', undefined, extra]);
  });
});
