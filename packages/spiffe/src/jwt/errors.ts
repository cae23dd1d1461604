import { SpiffeError } from '../errors.js';

/** Stable codes of {@link JwtAuthError}. */
export const JwtAuthErrorCode = {
  /** No `authorization` header (or gRPC metadata) was sent. */
  MissingToken: 'ERR_JWTAUTH_MISSING_TOKEN',
  /** The header is not exactly one `Bearer <token>` value. */
  MalformedHeader: 'ERR_JWTAUTH_MALFORMED_HEADER',
} as const;

/** One of the {@link JwtAuthErrorCode} values. */
export type JwtAuthErrorCode = (typeof JwtAuthErrorCode)[keyof typeof JwtAuthErrorCode];

/** A request did not carry a usable bearer token. */
export class JwtAuthError extends SpiffeError {
  declare readonly code: JwtAuthErrorCode;

  constructor(code: JwtAuthErrorCode, message: string) {
    super(code, message);
  }
}
