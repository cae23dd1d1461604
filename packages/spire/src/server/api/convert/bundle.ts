/**
 * Trust bundles between the API (`spire.api.types.Bundle`) and the datastore.
 */
import { createPublicKey, type KeyObject, X509Certificate } from 'node:crypto';
import { create } from '@bufbuild/protobuf';
import { certificateKeyProblem, ecPublicKeyProblem, type TrustDomain } from '@spire-ts/spiffe';
import {
  type BundleMask as BundleMaskProto,
  type Bundle as BundleProto,
  BundleSchema,
  type JWTKey,
  type X509Certificate as X509CertificateProto,
} from '../../../gen/spire/api/types/bundle_pb.js';
import type { Bundle, BundleMask, JwtAuthority, X509Authority } from '../../datastore/index.js';
import { ApiInputError, messageOf } from './errors.js';
import { trustDomainFromString } from './ids.js';

/** The API form of a stored bundle; `mask` limits the fields filled (trust domain always set). */
export function bundleToProto(b: Bundle, mask?: BundleMaskProto): BundleProto {
  const m = (field: keyof BundleMaskProto) => !mask || mask[field] === true;
  return create(BundleSchema, {
    trustDomain: b.trustDomain,
    ...(m('x509Authorities')
      ? { x509Authorities: b.x509Authorities.map((a) => ({ asn1: a.asn1, tainted: a.tainted })) }
      : {}),
    ...(m('jwtAuthorities')
      ? {
          jwtAuthorities: b.jwtAuthorities.map((k) => ({
            publicKey: k.publicKey,
            keyId: k.keyId,
            expiresAt: BigInt(k.expiresAt),
            tainted: k.tainted,
          })),
        }
      : {}),
    ...(m('refreshHint') ? { refreshHint: BigInt(b.refreshHint) } : {}),
    ...(m('sequenceNumber') ? { sequenceNumber: BigInt(b.sequenceNumber) } : {}),
  });
}

/** Validates an API bundle (trust domain, certificates, JWT keys) into the datastore form. */
export function bundleFromProto(b: BundleProto): Bundle {
  let td: TrustDomain;
  try {
    td = trustDomainFromString(b.trustDomain);
  } catch (err) {
    throw new ApiInputError(`trust domain argument is not valid: ${messageOf(err)}`, {
      cause: err,
    });
  }
  return {
    trustDomain: td.name,
    x509Authorities: b.x509Authorities.map(x509AuthorityFromProto),
    jwtAuthorities: b.jwtAuthorities.map(jwtAuthorityFromProto),
    refreshHint: Number(b.refreshHint),
    sequenceNumber: Number(b.sequenceNumber),
  };
}

/** An X.509 authority must be one parseable DER certificate. */
export function x509AuthorityFromProto(a: X509CertificateProto): X509Authority {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(a.asn1);
  } catch (err) {
    throw new ApiInputError(`failed to convert X.509 authority: ${messageOf(err)}`, { cause: err });
  }
  // A stored EC point at infinity would abort the server when the bundle is next marshalled.
  const problem = keyProblem(() => certificateKeyProblem(cert));
  if (problem !== undefined) {
    throw new ApiInputError(`failed to convert X.509 authority: public key ${problem}`);
  }
  return { asn1: a.asn1, tainted: a.tainted };
}

/** A JWT authority needs a key ID and a PKIX DER public key. */
export function jwtAuthorityFromProto(k: JWTKey): JwtAuthority {
  if (k.keyId === '') throw new ApiInputError('failed to convert JWT authority: missing key ID');
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(k.publicKey), format: 'der', type: 'spki' });
  } catch (err) {
    throw new ApiInputError(
      `failed to convert JWT authority: failed to parse public key: ${messageOf(err)}`,
      { cause: err },
    );
  }
  const problem = keyProblem(() => ecPublicKeyProblem(key));
  if (problem !== undefined) {
    throw new ApiInputError(`failed to convert JWT authority: public key ${problem}`);
  }
  return {
    keyId: k.keyId,
    publicKey: k.publicKey,
    expiresAt: Number(k.expiresAt),
    tainted: k.tainted,
  };
}

/** Datastore update mask from the API mask (every field when absent). */
export function bundleMaskFromProto(mask: BundleMaskProto | undefined): BundleMask | undefined {
  if (!mask) return undefined;
  return {
    x509Authorities: mask.x509Authorities,
    jwtAuthorities: mask.jwtAuthorities,
    refreshHint: mask.refreshHint,
    sequenceNumber: mask.sequenceNumber,
  };
}

/** What makes the key unusable (see ecPublicKeyProblem); a key Node cannot load is left alone. */
function keyProblem(examine: () => string | undefined): string | undefined {
  try {
    return examine();
  } catch {
    return undefined;
  }
}
