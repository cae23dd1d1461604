import type { JsonObject, JsonValue } from '@bufbuild/protobuf';
import { BundleSet, isSpiffeError, JwtSvid, type SpiffeBundle } from '@spire-ts/spiffe';
import { WorkloadStatus } from './status.js';

/** The claims every validated token returns, whatever its trust domain (reference §2.1). */
const ALWAYS_RETURNED = ['sub', 'exp', 'aud'];

/** Options of {@link validateJwtSvid}. */
export interface ValidateJwtOptions {
  /** The agent's own trust domain name: its tokens return every claim. */
  readonly ownTrustDomain: string;
  /** Extra claims returned for tokens of other trust domains (`allowed_foreign_jwt_claims`). */
  readonly allowedForeignClaims: readonly string[];
}

/**
 * ValidateJWTSVID (Workload API §6.4): validates `token` per JWT-SVID with the bundle of its own
 * subject's trust domain among `bundles` (Workload API §6.5), for the one `audience`. Returns the
 * subject and the claims; a foreign trust domain's token returns only `sub`, `exp`, `aud` and the
 * allowed foreign claims. `aud` is always a list. A token that fails is InvalidArgument.
 */
export function validateJwtSvid(
  token: string,
  audience: string,
  bundles: readonly SpiffeBundle[],
  options: ValidateJwtOptions,
): { spiffeId: string; claims: JsonObject } {
  let svid: JwtSvid;
  try {
    svid = JwtSvid.parseAndValidate(token, new BundleSet(bundles), [audience]);
  } catch (err) {
    if (isSpiffeError(err)) throw WorkloadStatus.invalidToken(err.message);
    throw err;
  }

  const foreign = svid.id.trustDomain.name !== options.ownTrustDomain;
  const keep = new Set([...ALWAYS_RETURNED, ...options.allowedForeignClaims]);
  const claims: JsonObject = {};
  for (const [name, value] of Object.entries(svid.claims)) {
    if (!foreign || keep.has(name)) claims[name] = value as JsonValue;
  }
  claims['aud'] = [...svid.audience];
  return { spiffeId: svid.id.toString(), claims };
}
