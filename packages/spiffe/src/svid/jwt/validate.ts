import type { JwtBundleSource } from '../../bundle/index.js';
import type { SpiffeId } from '../../spiffeid/index.js';
import { verifyWithBundle } from './authority.js';
import { checkAudience, checkTimes, readAudience, readSubject, type TimeCheck } from './claims.js';
import { decodeBody, splitCompact } from './compact.js';
import { JwtSvidError, JwtSvidErrorCode } from './errors.js';
import { checkHeaderMembers, readHeader } from './header.js';

/** Options of {@link JwtSvid.parseAndValidate} and {@link JwtSvid.parseInsecure}. */
export interface JwtSvidValidateOptions {
  /** The validation instant (default: now). Inject it for tests and replays. */
  at?: Date;
  /** Clock-skew leeway for `exp` and `nbf` in seconds (default 30, README Decision e). */
  leewaySeconds?: number;
}

/** What a successful parse yields, before it becomes a JwtSvid. */
export interface ValidatedToken {
  id: SpiffeId;
  audience: string[];
  expiresAtSeconds: number;
  claims: Record<string, unknown>;
  token: string;
}

const DEFAULT_LEEWAY_SECONDS = 30;

function invalidArgument(message: string): JwtSvidError {
  return new JwtSvidError(JwtSvidErrorCode.INVALID_ARGUMENT, message);
}

/** Checks the caller's arguments once, before the token is looked at. */
function checkArguments(token: unknown, audiences: unknown, options: JwtSvidValidateOptions) {
  if (typeof token !== 'string') throw invalidArgument('token must be a string');
  if (!Array.isArray(audiences) || !audiences.every((a) => typeof a === 'string')) {
    throw invalidArgument('audiences must be an array of strings');
  }
  // README Decision c (bug case C15): an empty expected list would disable the aud check.
  if (audiences.length === 0) {
    throw new JwtSvidError(
      JwtSvidErrorCode.NO_EXPECTED_AUDIENCE,
      'audiences must name at least one expected audience',
    );
  }
  return timeCheck(options);
}

function timeCheck(options: JwtSvidValidateOptions): TimeCheck {
  const at = options.at ?? new Date();
  const leewaySeconds = options.leewaySeconds ?? DEFAULT_LEEWAY_SECONDS;
  if (!(at instanceof Date) || Number.isNaN(at.getTime())) {
    throw invalidArgument('option at must be a valid date');
  }
  if (typeof leewaySeconds !== 'number' || !(leewaySeconds >= 0 && leewaySeconds <= 86_400)) {
    throw invalidArgument('option leewaySeconds must be a number from 0 to 86400');
  }
  return { nowSeconds: at.getTime() / 1000, leewaySeconds };
}

/**
 * The full JWT-SVID validation, in this order: compact form, header JSON, `alg` allow-list, `typ`,
 * `sub`, bundle of `sub`'s trust domain, authority by `kid`, signature, header members, `aud`,
 * `exp`, `nbf`. Header members are checked after the signature so that a forged token (for
 * example one carrying its own `jwk`, vector JWT-40) is always reported as a bad signature.
 */
export function validateToken(
  token: string,
  bundles: JwtBundleSource,
  audiences: readonly string[],
  options: JwtSvidValidateOptions,
): ValidatedToken {
  const time = checkArguments(token, audiences, options);
  if (typeof bundles?.getJwtBundleForTrustDomain !== 'function') {
    throw invalidArgument('bundles must be a JwtBundleSource');
  }
  const { parts, header: rawHeader } = splitCompact(token);
  const header = readHeader(rawHeader);
  const body = decodeBody(parts);
  const id = readSubject(body.payload);

  verifyWithBundle(id, { ...header, ...body }, bundles);
  checkHeaderMembers(rawHeader);

  const audience = checkAudience(body.payload, audiences);
  const expiresAtSeconds = checkTimes(body.payload, time);
  return { id, audience, expiresAtSeconds, claims: body.payload, token };
}

/**
 * Everything {@link validateToken} checks except the signature and its keys (go-spiffe
 * ParseInsecure). Only for tokens whose signature was already verified elsewhere, such as one
 * just received from the Workload API.
 */
export function parseTokenInsecure(
  token: string,
  audiences: readonly string[] | undefined,
  options: JwtSvidValidateOptions,
): ValidatedToken {
  if (audiences === undefined && typeof token !== 'string') {
    throw invalidArgument('token must be a string');
  }
  const time =
    audiences === undefined ? timeCheck(options) : checkArguments(token, audiences, options);
  const { parts, header: rawHeader } = splitCompact(token);
  readHeader(rawHeader);
  checkHeaderMembers(rawHeader);
  const body = decodeBody(parts);
  const id = readSubject(body.payload);

  // Without expected audiences `aud` must still be present and well formed (JWT-SVID §3.2).
  const audience =
    audiences === undefined
      ? readAudience(body.payload.aud)
      : checkAudience(body.payload, audiences);
  const expiresAtSeconds = checkTimes(body.payload, time);
  return { id, audience, expiresAtSeconds, claims: body.payload, token };
}
