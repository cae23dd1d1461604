import {
  BundleSet,
  bearerFromHeaders,
  bearerFromMetadata,
  bearerValue,
  JwtBundle,
  JwtSvidCache,
  readBearer,
  setBearer,
  TrustDomain,
  validateBearer,
} from '@spire-ts/spiffe';
import { describe, expect, it } from 'vitest';
import { jwks, jwtAuthority, jwtToken } from '../workloadapi/support.js';

const auth = jwtAuthority('example.org');
const bundles = new BundleSet([JwtBundle.parse(TrustDomain.fromString('example.org'), jwks(auth))]);

describe('bearer header helpers', () => {
  it('sets and reads back authorization: Bearer <token>', () => {
    const token = jwtToken(auth, '/a', ['svc']);
    const headers = setBearer({} as Record<string, string>, token);

    expect(headers).toEqual({ authorization: `Bearer ${token}` });
    expect(bearerFromHeaders(headers)).toBe(token);
  });

  it.each([
    ['bearer abc', 'abc'],
    ['BEARER abc', 'abc'],
    [['Bearer abc'], 'abc'],
  ])('reads %j (scheme case-insensitive, RFC 6750 §2.1)', (value, token) => {
    expect(readBearer(value)).toBe(token);
  });

  it.each([
    ['no header', undefined, 'ERR_JWTAUTH_MISSING_TOKEN'],
    ['an empty list', [], 'ERR_JWTAUTH_MISSING_TOKEN'],
    ['two headers', ['Bearer a', 'Bearer b'], 'ERR_JWTAUTH_MALFORMED_HEADER'],
    ['another scheme', 'Basic abc', 'ERR_JWTAUTH_MALFORMED_HEADER'],
    ['no token', 'Bearer ', 'ERR_JWTAUTH_MALFORMED_HEADER'],
    ['two spaces', 'Bearer  abc', 'ERR_JWTAUTH_MALFORMED_HEADER'],
    ['a token with a space', 'Bearer a b', 'ERR_JWTAUTH_MALFORMED_HEADER'],
  ])('refuses %s with %s', (_n, value, code) => {
    expect(() => readBearer(value)).toThrow(expect.objectContaining({ code }));
  });

  it('refuses to build a header from an empty token', () => {
    expect(() => bearerValue('')).toThrow(
      expect.objectContaining({ code: 'ERR_JWTAUTH_MALFORMED_HEADER' }),
    );
  });

  it('reads grpc-style metadata (a list per key) and fetch Headers', () => {
    const grpcLike = { get: (k: string) => (k === 'authorization' ? ['Bearer t1'] : []) };
    const headers = new Headers({ authorization: 'Bearer t2' });

    expect([bearerFromMetadata(grpcLike), bearerFromMetadata(headers)]).toEqual(['t1', 't2']);
  });

  it('validates the bearer token for the audience with the subject trust domain bundle', () => {
    const good = { authorization: `Bearer ${jwtToken(auth, '/client', ['svc'])}` };
    const wrongAud = { authorization: `Bearer ${jwtToken(auth, '/client', ['other'])}` };
    const foreign = {
      authorization: `Bearer ${jwtToken(jwtAuthority('other.org'), '/x', ['svc'])}`,
    };

    expect(validateBearer(good, bundles, ['svc']).id.toString()).toBe(
      'spiffe://example.org/client',
    );
    expect(() => validateBearer(wrongAud, bundles, ['svc'])).toThrow(
      expect.objectContaining({ code: expect.stringMatching(/^ERR_JWTSVID_/) }),
    );
    expect(() => validateBearer(foreign, bundles, ['svc'])).toThrow(
      expect.objectContaining({ code: expect.stringMatching(/^ERR_JWTSVID_/) }),
    );
  });
});

describe('JwtSvidCache', () => {
  it.each([
    [['a', 'b'], ['b', 'a'], true],
    [['a', 'b'], ['a', 'b', 'b'], true],
    [['a,b'], ['a', 'b'], false],
    [['a', 'b'], ['a'], false],
    [['["a"]'], ['a'], false],
  ])('keys %j and %j %s share an entry (C19)', (x, y, same) => {
    expect(JwtSvidCache.key(x) === JwtSvidCache.key(y)).toBe(same);
  });

  it('keys the subject apart', () => {
    expect(JwtSvidCache.key(['a'], 'spiffe://example.org/x')).not.toBe(JwtSvidCache.key(['a']));
  });

  it('refreshes once half the lifetime has passed, and shares concurrent fetches', async () => {
    let now = Date.now();
    let fetches = 0;
    const fetcher = {
      fetchJwtSvids: async () => {
        fetches += 1;
        const { JwtSvid } = await import('@spire-ts/spiffe');
        return [JwtSvid.parseInsecure(jwtToken(auth, '/me', ['a'], 100_000), ['a'])];
      },
    };
    const cache = new JwtSvidCache(fetcher, { now: () => now });

    const [x, y] = await Promise.all([
      cache.get({ audience: ['a'] }),
      cache.get({ audience: ['a'] }),
    ]);
    now += 40_000;
    const z = await cache.get({ audience: ['a'] });
    now += 20_000;
    await cache.get({ audience: ['a'] });

    expect(y).toBe(x);
    expect(z).toBe(x);
    expect(fetches).toBe(2);
  });
});
