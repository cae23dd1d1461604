/**
 * A certificate or key whose EC public point is the point at infinity is refused where it enters
 * a bundle. Node 20 loads such a key, then aborts the whole process (no exception) when its
 * details are read or it is exported as a JWK, which marshalling a bundle does.
 */
import {
  BundleErrorCode,
  JwtBundle,
  SpiffeBundle,
  TrustDomain,
  X509Bundle,
} from '@spire-ts/spiffe';
import { describe, expect, it } from 'vitest';
import { createCa } from '../support/certs.js';
import { infinityKey, withSubjectKey } from '../support/infinity-key.js';
import { caught } from './support.js';

const TD = TrustDomain.fromString('example.org');
const root = createCa();
const badCa = withSubjectKey(createCa().cert, root.privateKey);
const badPem = badCa.toString();
const AT_INFINITY = 'public key is the ec point at infinity';

describe('bundles refuse an ec public key at the point at infinity', () => {
  it.each([
    ['X509Bundle.fromPem', () => X509Bundle.fromPem(TD, badPem), `PEM block 0 ${AT_INFINITY}`],
    [
      'X509Bundle.fromDer',
      () => X509Bundle.fromDer(TD, Buffer.concat([root.der, badCa.raw])),
      `DER certificate 1 ${AT_INFINITY}`,
    ],
    [
      'new X509Bundle',
      () => new X509Bundle(TD, [root.cert, badCa]),
      `x509 authority 1 ${AT_INFINITY}`,
    ],
    [
      'new SpiffeBundle',
      () => new SpiffeBundle(TD, { x509Authorities: [badCa] }),
      `x509 authority 0 ${AT_INFINITY}`,
    ],
  ])('%s: ERR_BUNDLE_INVALID_CERTIFICATE', (_name, load, message) => {
    const err = caught(load);
    expect(err.code).toBe(BundleErrorCode.InvalidCertificate);
    expect(err.message).toBe(message);
  });

  it('SpiffeBundle.parse: an x509-svid entry whose x5c holds such a certificate', () => {
    const doc = JSON.stringify({
      keys: [{ use: 'x509-svid', kty: 'EC', x5c: [badCa.raw.toString('base64')] }],
    });
    const err = caught(() => SpiffeBundle.parse(TD, doc));
    expect(err.code).toBe(BundleErrorCode.InvalidX5c);
    expect(err.message).toBe(`keys[0].x5c[0] ${AT_INFINITY}`);
  });

  it('new JwtBundle and new SpiffeBundle: a jwt authority key', () => {
    const authorities = new Map([['k1', infinityKey()]]);
    for (const load of [
      () => new JwtBundle(TD, authorities),
      () => new SpiffeBundle(TD, { jwtAuthorities: authorities }),
    ]) {
      const err = caught(load);
      expect(err.code).toBe(BundleErrorCode.InvalidAuthority);
      expect(err.message).toBe(`jwt authority "k1" ${AT_INFINITY}`);
    }
  });
});
