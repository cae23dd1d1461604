import { SpiffeId } from './id.js';
import { parseIdString, validateTrustDomainName } from './parse.js';

/** Wraps an already validated canonical name; internal to this package, not exported by index. */
export let trustDomainFromCanonical: (name: string) => TrustDomain;

/**
 * A SPIFFE trust domain (SPIFFE-ID §2.1): an immutable, validated, canonical lower-case name.
 *
 * @example
 * const td = TrustDomain.fromString('example.org');
 * td.idString(); // 'spiffe://example.org'
 */
export class TrustDomain {
  /** Canonical lower-case name, e.g. `example.org`. */
  readonly name: string;

  private constructor(name: string) {
    this.name = name;
    Object.freeze(this);
  }

  static {
    trustDomainFromCanonical = (name) => new TrustDomain(name);
  }

  /**
   * Parses a bare name (`example.org`) or a whole SPIFFE ID (`spiffe://example.org/a`); as in
   * go-spiffe, an input containing `:/` is parsed as an ID, and the whole ID must then be valid.
   * ASCII upper case is folded (Decision a). Throws {@link SpiffeIdError}.
   */
  static fromString(s: string): TrustDomain {
    if (typeof s === 'string' && s.includes(':/')) {
      return trustDomainFromCanonical(parseIdString(s).trustDomain);
    }

    return new TrustDomain(validateTrustDomainName(s));
  }

  /** The name, e.g. `example.org`. */
  toString(): string {
    return this.name;
  }

  /** The name, so `JSON.stringify` prints the trust domain as a string. */
  toJSON(): string {
    return this.name;
  }

  /** The trust domain's own ID as a string, e.g. `spiffe://example.org`. */
  idString(): string {
    return `spiffe://${this.name}`;
  }

  /** The trust domain's own ID (no path), as its signing authority carries (SPIFFE-ID §3). */
  id(): SpiffeId {
    return SpiffeId.fromPath(this, '');
  }

  /** True when both are the same trust domain (canonical names compare byte for byte). */
  equals(other: TrustDomain): boolean {
    return other instanceof TrustDomain && other.name === this.name;
  }
}
