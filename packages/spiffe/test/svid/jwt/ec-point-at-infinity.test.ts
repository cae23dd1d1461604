/**
 * A JWT-SVID checked against a jwt authority whose EC point is the point at infinity is refused
 * with an error. Node 20 aborts the whole process when it reads such a key's curve, and crashes
 * when it verifies an ieee-p1363 (JOSE) signature with it.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { JwtBundle, JwtSvid, JwtSvidError, TrustDomain } from '@spire-ts/spiffe';
import { describe, expect, it } from 'vitest';
import { infinityKey } from '../../support/infinity-key.js';
import { bundleSource, craft } from './support.js';

const TD = TrustDomain.fromString('example.org');

/** A bundle (as a custom source might hand out) whose authority is the point at infinity. */
class HostileBundle extends JwtBundle {
  override findJwtAuthority(): KeyObject | undefined {
    return infinityKey();
  }

  override jwtAuthorities(): ReadonlyMap<string, KeyObject> {
    return new Map([['k1', infinityKey()]]);
  }
}

const signer = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
const claims = {
  sub: 'spiffe://example.org/workload',
  aud: ['svc'],
  exp: Math.floor(Date.now() / 1000) + 600,
};

function failure(token: string): JwtSvidError {
  try {
    JwtSvid.parseAndValidate(token, bundleSource([new HostileBundle(TD, new Map())]), ['svc']);
  } catch (err) {
    if (err instanceof JwtSvidError) return err;
    throw err;
  }
  throw new Error('token was accepted');
}

describe('JWT-SVID validation with a jwt authority at the ec point at infinity', () => {
  it('with kid: ERR_JWTSVID_SIGNATURE_INVALID naming the key problem', () => {
    const err = failure(craft({ alg: 'ES256', typ: 'JWT', kid: 'k1' }, claims, signer));
    expect(err.code).toBe('ERR_JWTSVID_SIGNATURE_INVALID');
    expect(err.message).toBe(
      'the jwt authority of header kid cannot be used: ES256 key is the ec point at infinity',
    );
  });

  it('without kid: the key is skipped, none verifies', () => {
    const err = failure(craft({ alg: 'ES256', typ: 'JWT' }, claims, signer));
    expect(err.code).toBe('ERR_JWTSVID_SIGNATURE_INVALID');
    expect(err.message).toBe(
      'token without header kid verifies with none of the 0 ES256 jwt authorities of trust domain "example.org"',
    );
  });
});
