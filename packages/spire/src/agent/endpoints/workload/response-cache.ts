import { toBinary } from '@bufbuild/protobuf';
import { X509SVIDResponseSchema } from '@spire-ts/spiffe/workload-proto';
import type { WorkloadState, WorkloadX509Identity } from '../../manager/workload-view.js';
import { x509SvidResponse } from './encode.js';

/** States remembered per first identity: a workload's own, and a few that share its default. */
const MAX_STATES_PER_IDENTITY = 8;

interface Encoded {
  readonly state: WorkloadState;
  readonly bytes: Uint8Array;
}

/**
 * Encoded FetchX509SVID messages (Workload API §5.2), shared by every caller whose state is made
 * of exactly the same objects: the same identity objects in the same order, the same own bundle
 * and the same federated bundles. The view hands out a new identity object for every new SVID
 * (rotation, entry change) and a new bundle object for every bundle change, so object identity is
 * the version of each part, and a caller is only ever given the bytes of the very identities its
 * own state holds. Entries live as long as their first identity object does (a WeakMap), so
 * rotated-out SVIDs and keys are not kept by the cache.
 */
export class X509SvidResponseCache {
  readonly #byFirstIdentity = new WeakMap<WorkloadX509Identity, Encoded[]>();

  /** The encoded X509SVIDResponse of `state`, from the cache when an identical state was seen. */
  encode(state: WorkloadState): Uint8Array {
    const first = state.identities[0];
    if (first === undefined) return encodeNow(state);
    let entries = this.#byFirstIdentity.get(first);
    if (entries) {
      for (const entry of entries) if (sameState(entry.state, state)) return entry.bytes;
    } else {
      entries = [];
      this.#byFirstIdentity.set(first, entries);
    }
    const bytes = encodeNow(state);
    if (entries.length >= MAX_STATES_PER_IDENTITY) entries.shift();
    entries.push({ state, bytes });
    return bytes;
  }
}

function encodeNow(state: WorkloadState): Uint8Array {
  return toBinary(X509SVIDResponseSchema, x509SvidResponse(state));
}

/** True when both states hold the very same objects, in the same order. */
function sameState(a: WorkloadState, b: WorkloadState): boolean {
  if (a === b) return true;
  if (a.bundle !== b.bundle || a.identities.length !== b.identities.length) return false;
  for (let i = 0; i < a.identities.length; i++) {
    if (a.identities[i] !== b.identities[i]) return false;
  }
  if (a.federatedBundles.size !== b.federatedBundles.size) return false;
  const other = b.federatedBundles.entries();
  for (const [td, bundle] of a.federatedBundles) {
    const next = other.next();
    if (next.done || next.value[0] !== td || next.value[1] !== bundle) return false;
  }
  return true;
}
