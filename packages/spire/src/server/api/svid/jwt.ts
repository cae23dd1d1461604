/** Signing a workload JWT-SVID and describing it as `types.JWTSVID`. */
import { create } from '@bufbuild/protobuf';
import { Code } from '@connectrpc/connect';
import type { SpiffeId } from '@spire-ts/spiffe';
import type { SpireLogger } from '../../../common/log/index.js';
import { type JWTSVID, JWTSVIDSchema } from '../../../gen/spire/api/types/jwtsvid_pb.js';
import { spiffeIdProto } from '../attestation/proto.js';
import type { ServerContext } from '../context.js';
import { statusError, toStatus } from '../status.js';

/**
 * Signs a JWT-SVID for `id` (already checked by the caller) with the active JWT key. `ttl` is in
 * seconds, 0 meaning `default_jwt_svid_ttl`; the audience must not be empty (JWT-SVID §3).
 */
export async function signJwtSvid(
  ctx: ServerContext,
  log: SpireLogger,
  id: SpiffeId,
  audience: readonly string[],
  ttl: number,
): Promise<JWTSVID> {
  if (ctx.config.disable_jwt_svids) {
    throw statusError(log, Code.Unimplemented, 'JWT functionality is disabled');
  }
  if (audience.length === 0) {
    throw statusError(log, Code.InvalidArgument, 'at least one audience is required');
  }
  if (audience.includes('')) {
    throw statusError(log, Code.InvalidArgument, 'audience must not contain an empty string');
  }
  let token: string;
  try {
    token = await ctx.ca.signWorkloadJwtSvid({ spiffeId: id, audience, ttlMs: ttl * 1000 });
  } catch (err) {
    throw toStatus(log, 'failed to sign JWT-SVID', err, Code.Internal);
  }
  const { iat, exp } = timesOf(token);
  return create(JWTSVIDSchema, {
    token,
    id: spiffeIdProto(id),
    issuedAt: BigInt(iat),
    expiresAt: BigInt(exp),
  });
}

/** `iat` and `exp` of a token we just signed. */
function timesOf(token: string): { iat: number; exp: number } {
  const payload = token.split('.')[1] ?? '';
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as {
    iat: number;
    exp: number;
  };
  return { iat: claims.iat, exp: claims.exp };
}
