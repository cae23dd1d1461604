import { verify } from 'node:crypto';
import { SpiffeId } from '@spire-ts/spiffe';
import { describe, expect, it } from 'vitest';
import type { KeyType } from '../../../src/server/plugin/keymanager/index.js';
import { makeCa, T0, td } from './helpers.js';

const id = SpiffeId.fromPath(td, '/web');

async function jwtKey(type: KeyType, notAfterMs = T0 + 86_400_000, config = {}) {
  const { km, builder, clock } = await makeCa('ec-p256', config);
  const info = await km.generateKey('JWT-Signer-A', type);
  const key = {
    kid: 'kid-1',
    keyType: type,
    notAfterMs,
    sign: (d: Uint8Array, o: Parameters<typeof km.sign>[2]) => km.sign('JWT-Signer-A', d, o),
  };
  return { builder, clock, key, info };
}

function decode(token: string) {
  const [h = '', p = '', s = ''] = token.split('.');
  const json = (x: string) => JSON.parse(Buffer.from(x, 'base64url').toString());
  return { header: json(h), claims: json(p), input: `${h}.${p}`, sig: Buffer.from(s, 'base64url') };
}

describe('JWT-SVID', () => {
  it.each<[KeyType, string]>([
    ['ec-p256', 'ES256'],
    ['ec-p384', 'ES384'],
    ['rsa-2048', 'RS256'],
  ])('is signed %s as %s with kid and typ JWT, and verifies', async (type, alg) => {
    const { builder, key, info } = await jwtKey(type);
    const token = await builder.workloadJwtSvid(key, { spiffeId: id, audience: ['a'] });
    const { header, input, sig } = decode(token);
    expect(header).toEqual({ alg, kid: 'kid-1', typ: 'JWT' });
    const hash = alg.endsWith('384') ? 'sha384' : 'sha256';
    const pub = { key: info.publicKey, dsaEncoding: 'ieee-p1363' as const };
    expect(verify(hash, Buffer.from(input), pub, sig)).toBe(true);
  });

  it('has exactly sub, aud (array), exp = iat + default 5m, iat (D23)', async () => {
    const { builder, key } = await jwtKey('ec-p256');
    const token = await builder.workloadJwtSvid(key, { spiffeId: id, audience: ['aud1'] });
    expect(decode(token).claims).toEqual({
      sub: 'spiffe://example.org/web',
      aud: ['aud1'],
      exp: T0 / 1000 + 300,
      iat: T0 / 1000,
    });
  });

  it('adds iss when jwt_issuer is set and jti only when asked', async () => {
    const { builder, key } = await jwtKey('ec-p256', undefined, {
      jwtIssuer: 'https://oidc.example.org',
    });
    const req = { spiffeId: id, audience: ['a', '', 'b'], ttlMs: 60_000, includeJti: true };
    const { claims } = decode(await builder.workloadJwtSvid(key, req));
    expect(claims.iss).toBe('https://oidc.example.org');
    expect(claims.aud).toEqual(['a', 'b']);
    expect(claims.exp - claims.iat).toBe(60);
    expect(claims.jti).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('caps exp at the signing key expiry', async () => {
    const { builder, key } = await jwtKey('ec-p256', T0 + 90_000);
    const token = await builder.workloadJwtSvid(key, { spiffeId: id, audience: ['a'] });
    expect(decode(token).claims.exp).toBe((T0 + 90_000) / 1000);
  });

  it.each([
    ['an empty audience', { audience: [] }, 'ERR_CREDTEMPLATE_EMPTY_AUDIENCE'],
    ['an audience of empty strings', { audience: [''] }, 'ERR_CREDTEMPLATE_EMPTY_AUDIENCE'],
    [
      'a foreign ID',
      { spiffeId: SpiffeId.fromString('spiffe://x.org/a') },
      'ERR_CREDTEMPLATE_BAD_SPIFFE_ID',
    ],
  ])('refuses %s', async (_what, override, code) => {
    const { builder, key } = await jwtKey('ec-p256');
    const req = { spiffeId: id, audience: ['a'], ...override };
    await expect(builder.workloadJwtSvid(key, req)).rejects.toMatchObject({ code });
  });

  it('refuses to sign with an expired key', async () => {
    const { builder, key, clock } = await jwtKey('ec-p256', T0 + 1000);
    clock.advance(1000);
    await expect(
      builder.workloadJwtSvid(key, { spiffeId: id, audience: ['a'] }),
    ).rejects.toMatchObject({
      code: 'ERR_CREDTEMPLATE_ISSUER_EXPIRED',
    });
  });
});
