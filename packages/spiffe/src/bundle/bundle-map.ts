import { SpiffeId, TrustDomain } from '../spiffeid/index.js';
import { BundleSet } from './bundle-set.js';
import { BundleError, BundleErrorCode } from './errors.js';
import { parseStrictJson } from './json.js';
import { expectObject, readKeys } from './jwks.js';
import { bundleFromDocument, SpiffeBundle } from './spiffe-bundle.js';

/**
 * Parses a Bundle Map (Bundle §5.1.1): `{"trust_domains": {"<name>": <SPIFFE bundle>, ...}}`,
 * the "state of the world" of several trust domains, loaded atomically: any bad entry rejects
 * the whole map. `trust_domains` is required and may be empty. A key repeated in the text
 * (`ERR_BUNDLE_JSON_DUPLICATE_KEY`) or equal to another once ASCII case is folded (Decision a,
 * `ERR_BUNDLE_DUPLICATE_TRUST_DOMAIN`) rejects the map. Keys are trust domain names; the
 * `spiffe://name` form is accepted too, but never with a path. Per-entry refresh hints are kept
 * on each bundle as data and say nothing about how often to fetch the map (Bundle §5.1.1).
 */
export function parseBundleMap(json: string | Uint8Array): BundleSet {
  const root = expectObject(parseStrictJson(json), 'bundle map document');
  const domains = root.get('trust_domains');
  if (domains === undefined) {
    throw new BundleError(
      BundleErrorCode.MissingMember,
      'bundle map member "trust_domains" is required',
    );
  }
  const entries = expectObject(domains, 'bundle map member "trust_domains"');
  const set = new BundleSet();
  for (const [key, value] of entries) {
    const td = trustDomainKey(key);
    if (set.has(td)) {
      throw new BundleError(
        BundleErrorCode.DuplicateTrustDomain,
        `bundle map names trust domain "${td.name}" more than once`,
      );
    }
    const where = `trust_domains[${JSON.stringify(key.slice(0, 64))}]`;
    set.add(bundleFromDocument(td, expectObject(value, where), readKeys(value)));
  }
  return set;
}

/**
 * The Bundle Map JSON of `bundles`, keys in name order. Per-bundle refresh hints are left out, as
 * Bundle §5.1.1 asks of producers.
 */
export function marshalBundleMap(bundles: Iterable<SpiffeBundle>): string {
  const parts = [...new BundleSet(bundles)].map((bundle) => {
    const withoutHint = new SpiffeBundle(bundle.trustDomain, {
      x509Authorities: bundle.x509Authorities(),
      jwtAuthorities: bundle.jwtAuthorities(),
      sequenceNumber: bundle.sequenceNumber,
    });
    return `${JSON.stringify(bundle.trustDomain.name)}:${withoutHint.marshal()}`;
  });
  return `{"trust_domains":{${parts.join(',')}}}`;
}

function trustDomainKey(key: string): TrustDomain {
  try {
    if (!key.includes(':/')) return TrustDomain.fromString(key);
    const id = SpiffeId.fromString(key);
    if (id.path === '') return id.trustDomain;
  } catch (cause) {
    throw new BundleError(
      BundleErrorCode.InvalidTrustDomain,
      `bundle map key ${JSON.stringify(key.slice(0, 64))} is not a valid trust domain name`,
      { cause },
    );
  }
  throw new BundleError(
    BundleErrorCode.InvalidTrustDomain,
    `bundle map key ${JSON.stringify(key.slice(0, 64))} has a path: keys name trust domains`,
  );
}
