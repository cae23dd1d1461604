/**
 * The one error family of `@spire-ts/spiffe`. Every failure the library reports on bad input is a
 * `SpiffeError` (or a subclass) with a stable `code` such as `ERR_SPIFFEID_EMPTY`; callers branch
 * on the code, never on the message. Messages are lower case, name what was wrong, and carry the
 * underlying failure as `cause` when there is one.
 */
export class SpiffeError extends Error {
  /** Stable, documented code: `ERR_<AREA>_<WHAT>`. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** True when `err` belongs to the SPIFFE error family (optionally with one of the given codes). */
export function isSpiffeError(err: unknown, ...codes: string[]): err is SpiffeError {
  return err instanceof SpiffeError && (codes.length === 0 || codes.includes(err.code));
}
