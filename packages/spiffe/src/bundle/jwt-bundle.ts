import type { KeyObject } from 'node:crypto';
import type { TrustDomain } from '../spiffeid/index.js';
import { BundleError, BundleErrorCode } from './errors.js';
import { assertPublicKey, jwkFromPublicKey } from './jwk.js';
import { addJwtAuthority, readJwkSet, readJwtAuthority, USE_JWT_SVID } from './jwks.js';
import type { JwtBundleSource } from './source.js';
import { type TrustDomainArg, toTrustDomain } from './trust-domain-arg.js';

/**
 * `use` values accepted in a plain JWK Set: none (what SPIRE serves on the Workload API), the
 * generic `sig`, and the SPIFFE `jwt-svid`. Any other value marks a key of another kind.
 */
const JWKS_SIGNING_USES = new Set([undefined, 'sig', USE_JWT_SVID]);

/**
 * The JWT authorities of one trust domain: public keys by `kid`, used to validate JWT-SVIDs whose
 * subject is in that trust domain (JWT-SVID §6.2). Immutable. An empty bundle trusts nothing.
 *
 * @example
 * const bundle = JwtBundle.parse(TrustDomain.fromString('example.org'), jwksJson);
 * const key = bundle.findJwtAuthority('k1');
 */
export class JwtBundle implements JwtBundleSource {
  /** The trust domain these authorities belong to. */
  readonly trustDomain: TrustDomain;

  readonly #authorities: ReadonlyMap<string, KeyObject>;

  /**
   * Builds a bundle from keys already loaded; `authorities` (kid to public key) is copied. The
   * trust domain may be given by name (`'example.org'`).
   */
  constructor(trustDomain: TrustDomainArg, authorities: ReadonlyMap<string, KeyObject>) {
    const td = toTrustDomain(trustDomain);
    const copy = new Map<string, KeyObject>();
    for (const [kid, key] of authorities) {
      if (typeof kid !== 'string' || kid === '') {
        throw new BundleError(
          BundleErrorCode.InvalidAuthority,
          'jwt authority kid must be a non-empty string',
        );
      }
      assertPublicKey(key, `jwt authority ${JSON.stringify(kid)}`);
      copy.set(kid, key);
    }
    this.trustDomain = td;
    this.#authorities = copy;
    Object.freeze(this);
  }

  /**
   * Parses a standard JWK Set, the form of a Workload API `FetchJWTBundles` value (Workload API
   * §6.2.2). Unlike a SPIFFE bundle, entries need no `use` (SPIRE serves none there): entries
   * without `use` or with `sig` / `jwt-svid` are loaded, other `use` values, unknown `kty` and
   * entries without `kid` are ignored, and two keys with one `kid` are an error.
   */
  static parse(td: TrustDomainArg, jwks: string | Uint8Array): JwtBundle {
    const trustDomain = toTrustDomain(td);
    const { keys } = readJwkSet(jwks);
    const authorities = new Map<string, KeyObject>();
    keys.forEach((entry, i) => {
      const use = entry.get('use');
      if (!JWKS_SIGNING_USES.has(use as string | undefined)) return;
      const authority = readJwtAuthority(entry, `keys[${i}]`);
      if (authority !== undefined) addJwtAuthority(authorities, authority, `keys[${i}]`);
    });
    return new JwtBundle(trustDomain, authorities);
  }

  /** The authorities, kid to public key (a read-only copy). */
  jwtAuthorities(): ReadonlyMap<string, KeyObject> {
    return new Map(this.#authorities);
  }

  /** The public key with this `kid`, or `undefined`. */
  findJwtAuthority(kid: string): KeyObject | undefined {
    return this.#authorities.get(kid);
  }

  /** True when this bundle has no authorities: every JWT-SVID of its trust domain is untrusted. */
  isEmpty(): boolean {
    return this.#authorities.size === 0;
  }

  /** Same trust domain and the same keys under the same kids. */
  equals(other: JwtBundle): boolean {
    if (!this.trustDomain.equals(other.trustDomain)) return false;
    if (this.#authorities.size !== other.#authorities.size) return false;
    for (const [kid, key] of this.#authorities) {
      const theirs = other.#authorities.get(kid);
      if (theirs === undefined || !key.equals(theirs)) return false;
    }
    return true;
  }

  /** The bundle as a plain JWK Set without `use`, the Workload API form. */
  marshal(): string {
    const keys = [...this.#authorities].map(([kid, key]) => ({
      ...jwkFromPublicKey(key, `jwt authority ${JSON.stringify(kid)}`),
      kid,
    }));
    return JSON.stringify({ keys });
  }

  /** This bundle when `td` is its trust domain, otherwise `undefined`. */
  getJwtBundleForTrustDomain(td: TrustDomain): JwtBundle | undefined {
    return this.trustDomain.equals(td) ? this : undefined;
  }
}
