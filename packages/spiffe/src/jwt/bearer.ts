import type { JwtBundleSource } from '../bundle/index.js';
import { JwtSvid, type JwtSvidValidateOptions } from '../svid/jwt/index.js';
import { JwtAuthError, JwtAuthErrorCode } from './errors.js';

/** The header (HTTP/1 and HTTP/2, lower case) and gRPC metadata key that carry the token. */
export const AUTHORIZATION = 'authorization';

/** Something holding request headers by lower-case name: Node's `IncomingHttpHeaders` fits. */
export type HeaderBag = Readonly<Record<string, string | string[] | undefined>>;

/** Minimal view of grpc-js `Metadata` or a Fetch/Connect `Headers`. */
export interface MetadataLike {
  get(key: string): unknown;
}

/** `Bearer <token>` for an `authorization` header (JWT-SVID §5: sent as a bearer token). */
export function bearerValue(svid: JwtSvid | string): string {
  const token = typeof svid === 'string' ? svid : svid.marshal();
  if (token === '' || /\s/.test(token)) {
    throw new JwtAuthError(
      JwtAuthErrorCode.MalformedHeader,
      'bearer token must be non-empty with no spaces',
    );
  }
  return `Bearer ${token}`;
}

/** Sets `authorization: Bearer <token>` on an outgoing header object and returns it. */
export function setBearer<H extends Record<string, unknown>>(
  headers: H,
  svid: JwtSvid | string,
): H {
  (headers as Record<string, unknown>)[AUTHORIZATION] = bearerValue(svid);
  return headers;
}

/**
 * The token of an `authorization` header value: exactly one value, scheme `Bearer` (any case,
 * RFC 6750 §2.1), one space, a token with no spaces.
 */
export function readBearer(value: unknown): string {
  if (value === undefined || value === null || (Array.isArray(value) && value.length === 0)) {
    throw new JwtAuthError(
      JwtAuthErrorCode.MissingToken,
      'authorization header is missing: send "Bearer <jwt-svid>"',
    );
  }
  if (Array.isArray(value) && value.length > 1) {
    throw new JwtAuthError(
      JwtAuthErrorCode.MalformedHeader,
      'authorization header must be sent once',
    );
  }
  const text = Array.isArray(value) ? value[0] : value;
  const match = typeof text === 'string' ? /^Bearer ([^\s]+)$/i.exec(text) : null;
  if (!match) {
    throw new JwtAuthError(
      JwtAuthErrorCode.MalformedHeader,
      'authorization header must be "Bearer <jwt-svid>"',
    );
  }
  return match[1] as string;
}

/** The bearer token of an HTTP/1 or HTTP/2 request's headers. */
export function bearerFromHeaders(headers: HeaderBag): string {
  return readBearer(headers[AUTHORIZATION]);
}

/** The bearer token of gRPC metadata (grpc-js `Metadata`) or Connect request `Headers`. */
export function bearerFromMetadata(metadata: MetadataLike): string {
  const value = metadata.get(AUTHORIZATION);
  return readBearer(Array.isArray(value) ? value.map(String) : (value ?? undefined));
}

/**
 * Reads the bearer token of `headers` and validates it locally as a JWT-SVID for one of
 * `audience`, with the bundle of its subject's trust domain (JWT-SVID §4, Workload API §6.3).
 */
export function validateBearer(
  headers: HeaderBag,
  bundles: JwtBundleSource,
  audience: readonly string[],
  options: JwtSvidValidateOptions = {},
): JwtSvid {
  return JwtSvid.parseAndValidate(bearerFromHeaders(headers), bundles, audience, options);
}
