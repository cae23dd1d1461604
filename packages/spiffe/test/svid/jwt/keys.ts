import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { JwtBundle, type JwtBundleSource, TrustDomain } from '@spire-ts/spiffe';
import { bundleSource } from './support.js';

/** Test key material, generated once per test file. */
export const K1 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
export const K2 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
export const K384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
export const K521 = generateKeyPairSync('ec', { namedCurve: 'P-521' });
export const R1 = generateKeyPairSync('rsa', { modulusLength: 2048 });
export const ATTACKER = generateKeyPairSync('ec', { namedCurve: 'P-256' });

/** 2030-01-01T00:00:00Z, the validation instant of the fixtures. */
export const AT = new Date('2030-01-01T00:00:00Z');
export const AT_S = AT.getTime() / 1000;

/** example.org publishes k1, k384, k521 and r1; other.org publishes k2. */
export function testBundles(extra: Record<string, KeyObject> = {}): JwtBundleSource {
  const example = new Map<string, KeyObject>([
    ['k1', K1.publicKey],
    ['k384', K384.publicKey],
    ['k521', K521.publicKey],
    ['r1', R1.publicKey],
    ...Object.entries(extra),
  ]);
  return bundleSource([
    new JwtBundle(TrustDomain.fromString('example.org'), example),
    new JwtBundle(TrustDomain.fromString('other.org'), new Map([['k2', K2.publicKey]])),
  ]);
}

/** The default claims of jwtsvid.json at {@link AT}. */
export function claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    sub: 'spiffe://example.org/workload',
    aud: ['svc-a'],
    exp: AT_S + 300,
    iat: AT_S,
    ...overrides,
  };
}
