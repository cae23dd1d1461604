import { BundleSet, JwtBundle, X509Bundle } from '../bundle/index.js';
import type {
  JWTBundlesResponse,
  JWTSVIDResponse,
  X509BundlesResponse,
  X509SVIDResponse,
} from '../gen/workload_pb.js';
import { SpiffeId, type TrustDomain } from '../spiffeid/index.js';
import { JwtSvid } from '../svid/jwt/index.js';
import { X509Svid } from '../svid/x509/index.js';
import { malformed } from './errors.js';

/** A workload's X.509 identities and the bundles to verify peers with (one FetchX509SVID answer). */
export interface X509Context {
  /** The SVIDs, the default one first (Workload API §5.3); never empty. */
  readonly svids: readonly X509Svid[];
  /** The own trust domain's bundle and every federated bundle, keyed by trust domain. */
  readonly bundles: BundleSet;
}

/**
 * Turns a FetchX509SVID response into an {@link X509Context}, or throws without keeping any part
 * of it (Workload API §4.5: a response missing a mandatory field is reported and discarded).
 */
export function parseX509Context(resp: X509SVIDResponse): X509Context {
  // Workload API §5.2.1: svids MUST contain one or more entries.
  if (resp.svids.length === 0) {
    throw malformed('x509 svid response has no svids: at least one is required (§5.2.1)');
  }

  const svids: X509Svid[] = [];
  const bundles = new BundleSet();
  const hints = new Set<string>();
  resp.svids.forEach((entry, i) => {
    const svid = parseX509Entry(entry, `svids[${i}]`);
    // §5.2.1: hints are unique; on a duplicate the client keeps the first one.
    if (svid.hint !== undefined && svid.hint !== '') {
      if (hints.has(svid.hint)) return;
      hints.add(svid.hint);
    }
    svids.push(svid);
    const td = svid.id.trustDomain;
    if (!bundles.has(td)) bundles.add(parseX509Bundle(td, entry.bundle, `svids[${i}].bundle`));
  });

  for (const [key, der] of Object.entries(resp.federatedBundles)) {
    const td = bundleKey(key, 'federated_bundles');
    // The bundle that came with an SVID is the authority for its own trust domain.
    if (!bundles.has(td)) bundles.add(parseX509Bundle(td, der, `federated_bundles["${key}"]`));
  }
  return Object.freeze({ svids: Object.freeze(svids), bundles });
}

function parseX509Entry(entry: X509SVIDResponse['svids'][number], field: string): X509Svid {
  requireField(entry.spiffeId.length > 0, `${field}.spiffe_id`);
  requireField(entry.x509Svid.length > 0, `${field}.x509_svid`);
  requireField(entry.x509SvidKey.length > 0, `${field}.x509_svid_key`);
  requireField(entry.bundle.length > 0, `${field}.bundle`);

  let svid: X509Svid;
  try {
    svid = X509Svid.parse(Buffer.from(entry.x509Svid), Buffer.from(entry.x509SvidKey), {
      hint: entry.hint,
    });
  } catch (err) {
    throw malformed(`${field} is not a valid x509-svid: ${messageOf(err)}`, err);
  }
  if (svid.id.toString() !== entry.spiffeId) {
    throw malformed(
      `${field}.spiffe_id "${entry.spiffeId}" does not match the certificate's id "${svid.id}"`,
    );
  }
  return svid;
}

/** Parses a FetchX509Bundles response into a bundle set (§5.2.2: at least one bundle). */
export function parseX509Bundles(resp: X509BundlesResponse): BundleSet {
  const keys = Object.keys(resp.bundles);
  if (keys.length === 0) {
    throw malformed(
      'x509 bundles response has no bundles: the own trust domain is required (§5.2.2)',
    );
  }

  const set = new BundleSet();
  for (const key of keys) {
    const td = bundleKey(key, 'bundles');
    set.add(parseX509Bundle(td, resp.bundles[key] as Uint8Array, `bundles["${key}"]`));
  }
  return set;
}

/** Parses a FetchJWTBundles response: each value is a JWK Set (§6.2.2). */
export function parseJwtBundles(resp: JWTBundlesResponse): BundleSet {
  const keys = Object.keys(resp.bundles);
  if (keys.length === 0) {
    throw malformed(
      'jwt bundles response has no bundles: the own trust domain is required (§6.2.2)',
    );
  }

  const set = new BundleSet();
  for (const key of keys) {
    const td = bundleKey(key, 'bundles');
    try {
      set.add(JwtBundle.parse(td, resp.bundles[key] as Uint8Array));
    } catch (err) {
      throw malformed(`bundles["${key}"] is not a valid jwk set: ${messageOf(err)}`, err);
    }
  }
  return set;
}

/**
 * Parses a FetchJWTSVID response. Tokens come straight from the agent, so their signatures are
 * not checked here (as go-spiffe), but structure, `sub`, `aud` and `exp` are.
 */
export function parseJwtSvids(resp: JWTSVIDResponse, audience: readonly string[]): JwtSvid[] {
  // Workload API §6.2.1: svids MUST contain one or more entries.
  if (resp.svids.length === 0) {
    throw malformed('jwt svid response has no svids: at least one is required (§6.2.1)');
  }

  const out: JwtSvid[] = [];
  const hints = new Set<string>();
  resp.svids.forEach((entry, i) => {
    const field = `svids[${i}]`;
    requireField(entry.spiffeId.length > 0, `${field}.spiffe_id`);
    requireField(entry.svid.length > 0, `${field}.svid`);
    if (entry.hint !== '') {
      if (hints.has(entry.hint)) return;
      hints.add(entry.hint);
    }
    out.push(parseJwtEntry(entry.svid, entry.spiffeId, entry.hint, audience, field));
  });
  return out;
}

function parseJwtEntry(
  token: string,
  spiffeId: string,
  hint: string,
  audience: readonly string[],
  field: string,
): JwtSvid {
  let svid: JwtSvid;
  try {
    svid = JwtSvid.parseInsecure(token, audience);
  } catch (err) {
    throw malformed(`${field}.svid is not a valid jwt-svid: ${messageOf(err)}`, err);
  }
  if (svid.id.toString() !== spiffeId) {
    throw malformed(`${field}.spiffe_id "${spiffeId}" does not match the token's sub "${svid.id}"`);
  }
  return hint === '' ? svid : svid.withHint(hint);
}

/** Workload API §5.1: bundle map keys are the SPIFFE ID of the trust domain (`spiffe://td`). */
function bundleKey(key: string, field: string): TrustDomain {
  let id: SpiffeId;
  try {
    id = SpiffeId.fromString(key);
  } catch (err) {
    throw malformed(
      `${field} key "${key}" is not a trust domain id like spiffe://example.org`,
      err,
    );
  }
  if (id.path !== '') {
    throw malformed(`${field} key "${key}" has a path: keys are trust domain ids (§5.1)`);
  }
  return id.trustDomain;
}

function parseX509Bundle(td: TrustDomain, der: Uint8Array, field: string): X509Bundle {
  try {
    return X509Bundle.fromDer(td, der);
  } catch (err) {
    throw malformed(`${field} is not concatenated der certificates: ${messageOf(err)}`, err);
  }
}

function requireField(present: boolean, field: string): void {
  if (!present) throw malformed(`${field} is empty: the field is mandatory (§4.5)`);
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
