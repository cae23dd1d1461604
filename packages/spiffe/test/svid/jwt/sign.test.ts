import { generateKeyPairSync } from 'node:crypto';
import { JwtSvid, SpiffeId } from '@spire-ts/spiffe';
import { describe, expect, it } from 'vitest';
import { AT, AT_S, ATTACKER, claims, K1, K384, K521, R1, testBundles } from './keys.js';
import { craft, outcome } from './support.js';

const ID = SpiffeId.fromString('spiffe://example.org/workload');
const EXPIRES = new Date(AT.getTime() + 300_000);

function decodeSegment(token: string, index: number): unknown {
  return JSON.parse(Buffer.from(token.split('.')[index] ?? '', 'base64url').toString('utf8'));
}

describe('JwtSvid.sign', () => {
  it.each([
    ['P-256 key signs ES256', K1.privateKey, 'k1', undefined, 'ES256'],
    ['P-384 key signs ES384', K384.privateKey, 'k384', undefined, 'ES384'],
    ['P-521 key signs ES512', K521.privateKey, 'k521', undefined, 'ES512'],
    ['RSA key signs RS256 by default', R1.privateKey, 'r1', undefined, 'RS256'],
    ['RSA key signs PS256 when asked', R1.privateKey, 'r1', 'PS256', 'PS256'],
  ] as const)(
    '%s with header {alg, kid, typ: JWT} that validates',
    (_name, key, kid, alg, want) => {
      const svid = JwtSvid.sign({
        id: ID,
        audience: ['svc-a'],
        expiresAt: EXPIRES,
        issuedAt: AT,
        key,
        kid,
        alg,
      });
      expect(decodeSegment(svid.token, 0)).toEqual({ alg: want, kid, typ: 'JWT' });
      expect(decodeSegment(svid.token, 1)).toEqual(claims());
      const back = JwtSvid.parseAndValidate(svid.token, testBundles(), ['svc-a'], { at: AT });
      expect([back.id.toString(), back.expiresAt.toISOString()]).toEqual([
        ID.toString(),
        EXPIRES.toISOString(),
      ]);
    },
  );

  it('C19: the audience list is embedded exactly as requested, never joined', () => {
    const sign = (audience: string[]) =>
      JwtSvid.sign({
        id: ID,
        audience,
        expiresAt: EXPIRES,
        issuedAt: AT,
        key: K1.privateKey,
        kid: 'k1',
      });
    const first = sign(['ab', 'cd']);
    const second = sign(['a', 'bcd']);
    const third = sign(['a,b']);
    expect(first.token).not.toBe(second.token);
    expect([first.audience, second.audience, third.audience]).toEqual([
      ['ab', 'cd'],
      ['a', 'bcd'],
      ['a,b'],
    ]);
    expect((decodeSegment(second.token, 1) as { aud: unknown }).aud).toEqual(['a', 'bcd']);
  });

  it('writes extra claims and whole-second exp and iat', () => {
    const svid = JwtSvid.sign({
      id: ID,
      audience: ['svc-a'],
      expiresAt: new Date(EXPIRES.getTime() + 999),
      issuedAt: new Date(AT.getTime() + 999),
      key: K1.privateKey,
      kid: 'k1',
      claims: { jti: 'abc' },
    });
    expect(decodeSegment(svid.token, 1)).toEqual(claims({ jti: 'abc' }));
  });

  const base = {
    id: ID,
    audience: ['svc-a'],
    expiresAt: EXPIRES,
    issuedAt: AT,
    key: K1.privateKey,
    kid: 'k1',
  };
  it.each([
    ['a public key', { key: K1.publicKey }],
    ['an Ed25519 key', { key: generateKeyPairSync('ed25519').privateKey }],
    ['alg that does not fit the key', { alg: 'RS256' }],
    ['alg off the allow-list', { alg: 'HS256' }],
    ['an empty kid', { kid: '' }],
    ['an empty audience list', { audience: [] }],
    ['an empty audience value', { audience: [''] }],
    ['an audience given as a string', { audience: 'svc-a' }],
    ['expiresAt not after issuedAt', { expiresAt: AT }],
    ['an invalid expiresAt', { expiresAt: new Date(Number.NaN) }],
    ['an id that is a string', { id: 'spiffe://example.org/workload' }],
    ['extra claims that replace sub', { claims: { sub: 'spiffe://example.org/admin' } }],
    ['extra claims that replace aud', { claims: { aud: ['other'] } }],
    ['extra claims that are not JSON', { claims: { n: 1n } }],
  ])('refuses %s with ERR_JWTSVID_INVALID_ARGUMENT', (_name, change) => {
    expect(outcome(() => JwtSvid.sign({ ...base, ...change } as never))).toBe(
      'ERR_JWTSVID_INVALID_ARGUMENT',
    );
  });
});

describe('JwtSvid.parseInsecure (go-spiffe ParseInsecure)', () => {
  const parse = (token: string, audiences = ['svc-a']) =>
    outcome(() => JwtSvid.parseInsecure(token, audiences, { at: AT }));

  it('accepts a token signed by a key of no bundle, and returns its claims', () => {
    const token = craft({ alg: 'ES256', kid: 'x' }, claims(), ATTACKER.privateKey);
    expect(parse(token)).toBe('accepted');
    expect(JwtSvid.parseInsecure(token, ['svc-a'], { at: AT }).id.toString()).toBe(ID.toString());
  });

  it.each([
    ['alg none', { alg: 'none' }, claims(), 'ERR_JWTSVID_UNSUPPORTED_ALG'],
    ['alg HS256', { alg: 'HS256' }, claims(), 'ERR_JWTSVID_UNSUPPORTED_ALG'],
    ['typ at+jwt', { alg: 'ES256', typ: 'at+jwt' }, claims(), 'ERR_JWTSVID_BAD_TYP'],
    ['a jwk header', { alg: 'ES256', jwk: {} }, claims(), 'ERR_JWTSVID_BAD_HEADER'],
    ['missing sub', { alg: 'ES256' }, claims({ sub: undefined }), 'ERR_JWTSVID_MISSING_SUB'],
    ['invalid sub', { alg: 'ES256' }, claims({ sub: 'x' }), 'ERR_JWTSVID_INVALID_SUB'],
    ['missing aud', { alg: 'ES256' }, claims({ aud: undefined }), 'ERR_JWTSVID_MISSING_AUD'],
    ['other aud', { alg: 'ES256' }, claims({ aud: 'svc-b' }), 'ERR_JWTSVID_AUD_MISMATCH'],
    ['missing exp', { alg: 'ES256' }, claims({ exp: undefined }), 'ERR_JWTSVID_MISSING_EXP'],
    ['expired', { alg: 'ES256' }, claims({ exp: AT_S - 60 }), 'ERR_JWTSVID_EXPIRED'],
  ])('still rejects %s', (_name, header, body, expected) => {
    const signed = craft({ alg: 'ES256' }, body, K1.privateKey);
    const forged = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${signed.split('.')[1]}.${signed.split('.')[2]}`;
    expect(parse(forged)).toBe(expected);
  });

  it('rejects a token that is not compact', () => {
    expect(parse('{"payload":"e30","signatures":[]}')).toBe('ERR_JWTSVID_MALFORMED');
  });

  it('takes the token alone: aud must be present but is not matched', () => {
    const token = craft({ alg: 'ES256', kid: 'x' }, claims({ aud: 'svc-b' }), K1.privateKey);
    const svid = JwtSvid.parseInsecure(token, undefined, { at: AT });
    expect([svid.id.toString(), svid.audience]).toEqual([ID.toString(), ['svc-b']]);
    const noAud = craft({ alg: 'ES256' }, claims({ aud: undefined }), K1.privateKey);
    expect(outcome(() => JwtSvid.parseInsecure(noAud, undefined, { at: AT }))).toBe(
      'ERR_JWTSVID_MISSING_AUD',
    );
    expect(outcome(() => JwtSvid.parseInsecure(token, [], { at: AT }))).toBe(
      'ERR_JWTSVID_NO_EXPECTED_AUDIENCE',
    );
  });
});
