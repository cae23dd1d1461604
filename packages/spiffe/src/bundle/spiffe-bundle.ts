import type { KeyObject, X509Certificate } from 'node:crypto';
import { TrustDomain } from '../spiffeid/index.js';
import { BundleError, BundleErrorCode } from './errors.js';
import type { JsonObject } from './json.js';
import {
  addJwtAuthority,
  readJwkSet,
  readJwtAuthority,
  USE_JWT_SVID,
  USE_X509_SVID,
} from './jwks.js';
import { JwtBundle } from './jwt-bundle.js';
import { marshalSpiffeBundle } from './marshal.js';
import { readRefreshHint, readSequence } from './members.js';
import { refreshIntervalSeconds } from './refresh.js';
import type { JwtBundleSource, X509BundleSource } from './source.js';
import { type TrustDomainArg, toTrustDomain } from './trust-domain-arg.js';
import { readX509Authority } from './x5c.js';
import { X509Bundle } from './x509-bundle.js';

/** What a {@link SpiffeBundle} holds besides its trust domain; every member is optional. */
export interface SpiffeBundleInit {
  /** X.509 CA certificates (X509-SVID §6). */
  x509Authorities?: Iterable<X509Certificate>;
  /** JWT signing keys by `kid` (JWT-SVID §6). */
  jwtAuthorities?: ReadonlyMap<string, KeyObject>;
  /** `spiffe_sequence`: unsigned 64-bit (Bundle §4.1.1). */
  sequenceNumber?: bigint;
  /** `spiffe_refresh_hint` in seconds (Bundle §4.1.2). */
  refreshHintSeconds?: number;
}

const MAX_UINT64 = (1n << 64n) - 1n;

/**
 * A SPIFFE bundle (the SPIFFE Trust Domain and Bundle format): the X.509 and JWT authorities of
 * one trust domain, with the optional sequence number and refresh hint. Immutable. The JSON has
 * no trust domain in it (Bundle §4.1), so parsing takes the one it belongs to.
 *
 * @example
 * const bundle = SpiffeBundle.parse(TrustDomain.fromString('example.org'), json);
 * bundle.x509Authorities(); bundle.findJwtAuthority('k1'); bundle.sequenceNumber;
 */
export class SpiffeBundle implements X509BundleSource, JwtBundleSource {
  /** The trust domain these authorities belong to. */
  readonly trustDomain: TrustDomain;
  /** `spiffe_sequence`, exact to 64 bits, when the document has one. */
  readonly sequenceNumber?: bigint;
  /** `spiffe_refresh_hint` in seconds, as given, when the document has one. */
  readonly refreshHintSeconds?: number;

  readonly #x509: X509Bundle;
  readonly #jwt: JwtBundle;

  /**
   * Builds a bundle from authorities already loaded; the inputs are copied. The trust domain may
   * be given by name (`'example.org'`).
   */
  constructor(trustDomain: TrustDomainArg, init: SpiffeBundleInit = {}) {
    this.trustDomain = toTrustDomain(trustDomain);
    this.#x509 = new X509Bundle(this.trustDomain, init.x509Authorities ?? []);
    this.#jwt = new JwtBundle(this.trustDomain, init.jwtAuthorities ?? new Map());
    if (init.sequenceNumber !== undefined) this.sequenceNumber = checkSequence(init.sequenceNumber);
    if (init.refreshHintSeconds !== undefined) {
      this.refreshHintSeconds = checkRefreshHint(init.refreshHintSeconds);
    }
    Object.freeze(this);
  }

  /**
   * Parses a SPIFFE bundle document. Entries are sorted by `use` (Bundle §4.2.2): `x509-svid`
   * entries give CA certificates, `jwt-svid` entries give JWT keys, and entries with a missing or
   * unknown `use` or an unknown `kty` are ignored. Also accepts the arguments as `(json, td)`,
   * and the trust domain as a name (`'example.org'`) or a `TrustDomain`.
   */
  static parse(td: TrustDomain | string, json: string | Uint8Array): SpiffeBundle;
  static parse(json: string | Uint8Array, td: TrustDomain | string): SpiffeBundle;
  static parse(a: TrustDomain | string | Uint8Array, b: TrustDomain | string | Uint8Array) {
    // Neither argument a trust domain: the one that is not JSON text is the bad trust domain.
    const tdFirst = isTrustDomainArg(a) || (!isTrustDomainArg(b) && !isJsonArg(a));
    const [tdArg, json] = tdFirst ? [a, b] : [b, a];
    if (json instanceof TrustDomain || (isJsonArg(a) && isJsonArg(b) && !isTrustDomainArg(tdArg))) {
      throw new TypeError('SpiffeBundle.parse takes a trust domain and a JSON string or bytes');
    }
    const td = toTrustDomain(tdArg);
    const { root, keys } = readJwkSet(json);
    return bundleFromDocument(td, root, keys);
  }

  /** A SPIFFE bundle holding the authorities of an X.509 bundle (no JWT authorities). */
  static fromX509Bundle(bundle: X509Bundle): SpiffeBundle {
    return new SpiffeBundle(bundle.trustDomain, { x509Authorities: bundle.x509Authorities() });
  }

  /** A SPIFFE bundle holding the authorities of a JWT bundle (no X.509 authorities). */
  static fromJwtBundle(bundle: JwtBundle): SpiffeBundle {
    return new SpiffeBundle(bundle.trustDomain, { jwtAuthorities: bundle.jwtAuthorities() });
  }

  /** The X.509 authorities (a frozen array). */
  x509Authorities(): readonly X509Certificate[] {
    return this.#x509.x509Authorities();
  }

  /** The JWT authorities, kid to public key (a copy). */
  jwtAuthorities(): ReadonlyMap<string, KeyObject> {
    return this.#jwt.jwtAuthorities();
  }

  /** The JWT public key with this `kid`, or `undefined`. */
  findJwtAuthority(kid: string): KeyObject | undefined {
    return this.#jwt.findJwtAuthority(kid);
  }

  /** The X.509 part as an {@link X509Bundle}. */
  x509Bundle(): X509Bundle {
    return this.#x509;
  }

  /** The JWT part as a {@link JwtBundle}. */
  jwtBundle(): JwtBundle {
    return this.#jwt;
  }

  /** How often to fetch this bundle again, in seconds: the hint clamped, or the default. */
  refreshIntervalSeconds(): number {
    return refreshIntervalSeconds(this.refreshHintSeconds);
  }

  /** Same trust domain, authorities, sequence number and refresh hint. */
  equals(other: SpiffeBundle): boolean {
    return (
      this.#x509.equals(other.#x509) &&
      this.#jwt.equals(other.#jwt) &&
      this.sequenceNumber === other.sequenceNumber &&
      this.refreshHintSeconds === other.refreshHintSeconds
    );
  }

  /**
   * The SPIFFE bundle JSON: one `x509-svid` entry per CA certificate (one `x5c` value, no `kid`,
   * X509-SVID §6.1), one `jwt-svid` entry per key (with `kid`, JWT-SVID §6.1), then
   * `spiffe_refresh_hint` and `spiffe_sequence` when set. `indent` pretty-prints.
   */
  marshal(indent?: number): string {
    return marshalSpiffeBundle(this, indent);
  }

  /** The X.509 part when `td` is this bundle's trust domain, otherwise `undefined`. */
  getX509BundleForTrustDomain(td: TrustDomain): X509Bundle | undefined {
    return this.#x509.getX509BundleForTrustDomain(td);
  }

  /** The JWT part when `td` is this bundle's trust domain, otherwise `undefined`. */
  getJwtBundleForTrustDomain(td: TrustDomain): JwtBundle | undefined {
    return this.#jwt.getJwtBundleForTrustDomain(td);
  }
}

/** Builds a bundle from a parsed document (shared with the bundle map reader). */
export function bundleFromDocument(
  td: TrustDomain,
  root: JsonObject,
  keys: JsonObject[],
): SpiffeBundle {
  const x509Authorities: X509Certificate[] = [];
  const jwtAuthorities = new Map<string, KeyObject>();
  keys.forEach((entry, i) => {
    const where = `keys[${i}]`;
    const use = entry.get('use');
    if (use === USE_X509_SVID) {
      const cert = readX509Authority(entry, where);
      if (cert !== undefined) x509Authorities.push(cert);
    } else if (use === USE_JWT_SVID) {
      const authority = readJwtAuthority(entry, where);
      if (authority !== undefined) addJwtAuthority(jwtAuthorities, authority, where);
    }
  });
  return new SpiffeBundle(td, {
    x509Authorities,
    jwtAuthorities,
    sequenceNumber: readSequence(root),
    refreshHintSeconds: readRefreshHint(root),
  });
}

function checkSequence(value: bigint): bigint {
  if (typeof value !== 'bigint' || value < 0n || value > MAX_UINT64) {
    throw new BundleError(
      BundleErrorCode.InvalidMember,
      'bundle sequence number must be a bigint between 0 and 2^64-1',
    );
  }
  return value;
}

function checkRefreshHint(value: number): number {
  if (!Number.isSafeInteger(value)) {
    throw new BundleError(
      BundleErrorCode.InvalidMember,
      'bundle refresh hint must be a whole number of seconds within the safe integer range',
    );
  }
  return value;
}

/**
 * A trust domain argument: a `TrustDomain`, or a string that is not a JSON document (a JSON
 * bundle starts with `{`, which no trust domain name contains).
 */
function isTrustDomainArg(v: unknown): v is TrustDomain | string {
  return v instanceof TrustDomain || (typeof v === 'string' && !v.trimStart().startsWith('{'));
}

/** A JSON document argument: text or bytes. */
function isJsonArg(v: unknown): boolean {
  return typeof v === 'string' || v instanceof Uint8Array;
}
