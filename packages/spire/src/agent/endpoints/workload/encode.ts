import { create } from '@bufbuild/protobuf';
import type { SpiffeBundle } from '@spire-ts/spiffe';
import {
  type JWTBundlesResponse,
  JWTBundlesResponseSchema,
  type X509BundlesResponse,
  X509BundlesResponseSchema,
  type X509SVID,
  type X509SVIDResponse,
  X509SVIDResponseSchema,
  X509SVIDSchema,
} from '@spire-ts/spiffe/workload-proto';
import type { WorkloadState, WorkloadX509Identity } from '../../manager/workload-view.js';
import { withUniqueHints } from './hints.js';

/**
 * FetchX509SVID's message for a workload's full state (Workload API §5.2): every identity in the
 * view's order (the first is the default), its chain as concatenated DER (leaf first), its key as
 * unencrypted PKCS#8 DER, the own trust domain's CAs as concatenated DER, and the federated
 * bundles keyed by trust domain ID (`spiffe://example.org`, Workload API §8).
 */
export function x509SvidResponse(state: WorkloadState): X509SVIDResponse {
  const bundle = x509Der(state.bundle);
  return create(X509SVIDResponseSchema, {
    svids: withUniqueHints(
      state.identities,
      (i) => i.hint,
      (i) => i.entryCreatedAt,
    ).map((identity) => x509Svid(identity, bundle)),
    federatedBundles: bundleMap(state.federatedBundles.values(), x509Der),
  });
}

// The view holds each SVID as the DER the message carries: nothing is encoded per call.
function x509Svid(identity: WorkloadX509Identity, bundle: Uint8Array): X509SVID {
  return create(X509SVIDSchema, {
    spiffeId: identity.spiffeId.toString(),
    x509Svid: identity.certChainDer,
    x509SvidKey: identity.privateKeyPkcs8,
    bundle,
    hint: identity.hint,
  });
}

/** FetchX509Bundles' message: the own trust domain's CAs and the federated ones (§5.3). */
export function x509BundlesResponse(bundles: readonly SpiffeBundle[]): X509BundlesResponse {
  return create(X509BundlesResponseSchema, { bundles: bundleMap(bundles, x509Der) });
}

/**
 * FetchJWTBundles' message (§6.3): each trust domain's JWT-SVID keys as a standard JWK Set
 * without `use` or SPIFFE members, indented with four spaces as SPIRE writes it.
 */
export function jwtBundlesResponse(bundles: readonly SpiffeBundle[]): JWTBundlesResponse {
  return create(JWTBundlesResponseSchema, { bundles: bundleMap(bundles, jwks) });
}

/** The bundles a workload may use: its own trust domain's first, then the federated ones. */
export function workloadBundles(state: WorkloadState): SpiffeBundle[] {
  return [state.bundle, ...state.federatedBundles.values()];
}

/** True when two bundle maps carry the same trust domains with the same bytes. */
export function sameBundleMap(
  a: Readonly<Record<string, Uint8Array>>,
  b: Readonly<Record<string, Uint8Array>>,
): boolean {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((key) => {
    const other = b[key];
    return other !== undefined && Buffer.from(a[key] as Uint8Array).equals(other);
  });
}

function bundleMap(
  bundles: Iterable<SpiffeBundle>,
  encode: (bundle: SpiffeBundle) => Uint8Array,
): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = {};
  for (const bundle of bundles) out[bundle.trustDomain.idString()] = encode(bundle);
  return out;
}

// A SpiffeBundle never changes (a new bundle is a new object), so each one's encodings are
// computed once, not on every message (issue 4: per-call cost).
const x509Encoded = new WeakMap<SpiffeBundle, Uint8Array>();
const jwksEncoded = new WeakMap<SpiffeBundle, Uint8Array>();

function x509Der(bundle: SpiffeBundle): Uint8Array {
  let der = x509Encoded.get(bundle);
  if (!der) {
    der = bundle.x509Bundle().toDer();
    x509Encoded.set(bundle, der);
  }
  return der;
}

function jwks(bundle: SpiffeBundle): Uint8Array {
  let json = jwksEncoded.get(bundle);
  if (!json) {
    const document = JSON.parse(bundle.jwtBundle().marshal()) as unknown;
    json = Buffer.from(JSON.stringify(document, null, 4));
    jwksEncoded.set(bundle, json);
  }
  return json;
}
