import type { JwtBundleSource } from '../../bundle/index.js';
import type { SpiffeId } from '../../spiffeid/index.js';
import { JwtSvidError, JwtSvidErrorCode } from './errors.js';
import { type JwtSvidSignOptions, signToken } from './sign.js';
import {
  type JwtSvidValidateOptions,
  parseTokenInsecure,
  type ValidatedToken,
  validateToken,
} from './validate.js';

/** Freezes a parsed JSON value and everything in it; iterative, so any depth is safe. */
function deepFreeze<T>(root: T): T {
  const pending: unknown[] = [root];
  while (pending.length > 0) {
    const value = pending.pop();
    if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
      Object.freeze(value);
      // One push per child: spreading a huge array or object as arguments overflows the stack.
      for (const child of Object.values(value)) {
        if (typeof child === 'object' && child !== null) pending.push(child);
      }
    }
  }
  return root;
}

/**
 * A JWT-SVID: a SPIFFE identity carried by a signed JWT (JWT-SVID spec). Immutable. Obtain one by
 * validating a token received from a peer ({@link JwtSvid.parseAndValidate}), by parsing one the
 * Workload API handed out ({@link JwtSvid.parseInsecure}), or by minting one ({@link JwtSvid.sign}).
 *
 * @example
 * const svid = JwtSvid.parseAndValidate(token, bundles, ['spiffe://example.org/reports']);
 * svid.id.toString(); // 'spiffe://example.org/workload'
 */
export class JwtSvid {
  /** The SPIFFE ID in `sub`. */
  readonly id: SpiffeId;
  /** The audiences in `aud`, always as a list (a single-string `aud` is a list of one). */
  readonly audience: readonly string[];
  /** All claims of the token, deeply frozen. */
  readonly claims: Readonly<Record<string, unknown>>;
  /** The compact JWS as received or signed. */
  readonly token: string;
  /** The Workload API's operator-chosen hint for this SVID, when it came with one. */
  readonly hint?: string;
  readonly #expiresAtMs: number;

  private constructor(fields: ValidatedToken, hint?: string) {
    this.id = fields.id;
    this.audience = Object.freeze([...fields.audience]);
    this.claims = deepFreeze(fields.claims);
    this.token = fields.token;
    if (hint !== undefined) this.hint = hint;
    this.#expiresAtMs = fields.expiresAtSeconds * 1000;
    Object.freeze(this);
  }

  /** The instant of `exp` (a fresh Date on each call, so the SVID stays immutable). */
  get expiresAt(): Date {
    return new Date(this.#expiresAtMs);
  }

  /**
   * Parses and fully validates a JWT-SVID a peer presented: structure, `alg`, header, `typ`, the
   * signature with the bundle of `sub`'s own trust domain, `aud` (any one of `audiences`), `exp`
   * and `nbf` with a leeway. Throws {@link JwtSvidError} naming the first rule broken.
   */
  static parseAndValidate(
    token: string,
    bundles: JwtBundleSource,
    audiences: readonly string[],
    options: JwtSvidValidateOptions = {},
  ): JwtSvid {
    return new JwtSvid(validateToken(token, bundles, audiences, options));
  }

  /**
   * Parses a JWT-SVID without verifying its signature (as go-spiffe's ParseInsecure), still
   * enforcing structure, `alg`, header, `sub`, `aud` and `exp`. Use it only for a token whose
   * origin is already trusted, such as one just fetched from the Workload API. Without
   * `audiences`, `aud` must still hold one or more values but is not matched.
   */
  static parseInsecure(
    token: string,
    audiences?: readonly string[],
    options: JwtSvidValidateOptions = {},
  ): JwtSvid {
    return new JwtSvid(parseTokenInsecure(token, audiences, options));
  }

  /** Signs a new JWT-SVID with an authority's private key (for the server's JWT authority). */
  static sign(options: JwtSvidSignOptions): JwtSvid {
    return new JwtSvid(signToken(options));
  }

  /** A copy of this SVID carrying `hint` (as the Workload API labels an SVID). */
  withHint(hint: string): JwtSvid {
    if (typeof hint !== 'string') {
      throw new JwtSvidError(JwtSvidErrorCode.INVALID_ARGUMENT, 'hint must be a string');
    }
    const fields: ValidatedToken = {
      id: this.id,
      audience: [...this.audience],
      expiresAtSeconds: this.#expiresAtMs / 1000,
      claims: this.claims,
      token: this.token,
    };
    return new JwtSvid(fields, hint);
  }

  /** The compact JWS, ready for an `authorization: Bearer` header (JWT-SVID §5). */
  marshal(): string {
    return this.token;
  }
}
