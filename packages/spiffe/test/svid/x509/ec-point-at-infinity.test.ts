/**
 * An X509-SVID leaf whose EC public point is the point at infinity is a malformed certificate:
 * Node loads it, then aborts the whole process when the key's details are read or it is exported
 * as a JWK, so the SDK refuses it before handing it to anyone.
 */
import { TrustDomain, verifyX509Svid, X509Bundle, X509Svid } from '@spire-ts/spiffe';
import { describe, expect, it } from 'vitest';
import { createCa, createLeaf } from '../../support/certs.js';
import { withSubjectKey } from '../../support/infinity-key.js';

const ca = createCa();
const leaf = createLeaf(ca);
const bad = withSubjectKey(leaf.cert, ca.privateKey);
const bundle = new X509Bundle(TrustDomain.fromString('example.org'), [ca.cert]);
const expected = {
  code: 'ERR_X509SVID_MALFORMED_CERTIFICATE',
  message: 'leaf public key is the ec point at infinity',
};

describe('X509-SVID leaf key at the ec point at infinity', () => {
  it('X509Svid.parse refuses it', () => {
    const key = leaf.privateKey.export({ type: 'pkcs8', format: 'der' });
    expect(() => X509Svid.parse([bad.raw], key)).toThrow(expect.objectContaining(expected));
  });

  it('verifyX509Svid refuses it although the CA signed it', () => {
    expect(verifyX509Svid([leaf.cert.raw], bundle).id.toString()).toMatch(/^spiffe:\/\//);
    expect(() => verifyX509Svid([bad.raw], bundle)).toThrow(expect.objectContaining(expected));
  });
});
