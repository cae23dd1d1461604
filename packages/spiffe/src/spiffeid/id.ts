import { checkIdLength, parseIdString, validatePath, validateSegment } from './parse.js';
import { TrustDomain, trustDomainFromCanonical } from './trustdomain.js';

/**
 * A SPIFFE ID (SPIFFE-ID §2): an immutable, validated ID in canonical form. The scheme and trust
 * domain are lower case (ASCII upper case is folded on parse, Decision a); the path keeps its
 * case. Two IDs are equal when their canonical strings are equal, byte for byte.
 *
 * @example
 * const id = SpiffeId.fromString('spiffe://example.org/ns/prod/sa/web');
 * id.trustDomain.name; // 'example.org'
 * id.path;             // '/ns/prod/sa/web'
 */
export class SpiffeId {
  /** The trust domain the ID belongs to. */
  readonly trustDomain: TrustDomain;
  /** `''` for a trust domain's own ID, else `/seg/seg` (case preserved). */
  readonly path: string;
  readonly #string: string;

  private constructor(trustDomain: TrustDomain, path: string) {
    this.trustDomain = trustDomain;
    this.path = path;
    this.#string = `spiffe://${trustDomain.name}${path}`;
    Object.freeze(this);
  }

  /**
   * Parses a SPIFFE ID string with the SPIFFE-ID §2 rules; never decodes `%xx`, never resolves
   * dot segments. Throws {@link SpiffeIdError} with the code of the rule that failed.
   */
  static fromString(s: string): SpiffeId {
    const parsed = parseIdString(s);
    return new SpiffeId(trustDomainFromCanonical(parsed.trustDomain), parsed.path);
  }

  /**
   * Builds an ID from a trust domain and path segments, each checked on its own (SPIFFE-ID §2.2):
   * `fromSegments('example.org', 'ns', 'prod')` is `spiffe://example.org/ns/prod`. A segment
   * holding `/` is rejected rather than split.
   */
  static fromSegments(td: TrustDomain | string, ...segments: string[]): SpiffeId {
    const trustDomain = toTrustDomain(td);
    for (const segment of segments) {
      validateSegment(segment);
    }

    const path = segments.length === 0 ? '' : `/${segments.join('/')}`;
    checkIdLength(trustDomain.name, path);
    return new SpiffeId(trustDomain, path);
  }

  /** Builds an ID from a trust domain and a path that is `''` or starts with `/` (SPIFFE-ID §2.2). */
  static fromPath(td: TrustDomain | string, path: string): SpiffeId {
    const trustDomain = toTrustDomain(td);
    validatePath(path);
    checkIdLength(trustDomain.name, path);
    return new SpiffeId(trustDomain, path);
  }

  /** The canonical string, e.g. `spiffe://example.org/a/b`. */
  toString(): string {
    return this.#string;
  }

  /** The canonical string, so `JSON.stringify` prints the ID as a string. */
  toJSON(): string {
    return this.#string;
  }

  /** True when both IDs are the same (canonical strings compare byte for byte). */
  equals(other: SpiffeId): boolean {
    return other instanceof SpiffeId && other.#string === this.#string;
  }

  /** True when the ID belongs to `td`. */
  memberOf(td: TrustDomain): boolean {
    return this.trustDomain.equals(td);
  }
}

function toTrustDomain(td: TrustDomain | string): TrustDomain {
  return td instanceof TrustDomain ? td : TrustDomain.fromString(td);
}
