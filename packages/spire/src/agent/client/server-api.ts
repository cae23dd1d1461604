import type { Bundle } from '../../gen/spire/api/types/bundle_pb.js';
import type { Entry } from '../../gen/spire/api/types/entry_pb.js';
import type { JWTSVID } from '../../gen/spire/api/types/jwtsvid_pb.js';
import type { X509SVID } from '../../gen/spire/api/types/x509svid_pb.js';

/** One workload CSR for `SVID.BatchNewX509SVID`. */
export interface X509SvidRequest {
  readonly entryId: string;
  /** PKCS#10 DER. */
  readonly csr: Uint8Array;
}

/**
 * What the agent holds of an entry: enough for the server's revision list to tell whether it is
 * still current (`EntryRevision{id, revision_number, created_at}`, reference §3.3).
 */
export interface KnownEntry {
  readonly revision: bigint;
  /** `created_at` in seconds; 0 when unknown. */
  readonly createdAt: bigint;
}

/** The outcome of an entry sync: every entry authorized to the agent now, split in two. */
export interface FetchedEntries {
  /** Ids of held entries the server still authorizes unchanged: the cached copies stay. */
  readonly kept: readonly string[];
  /** Full entries that are new or changed (or every entry, when the server sent them in full). */
  readonly fetched: readonly Entry[];
}

/**
 * The server RPCs the agent's manager calls after attestation, over mTLS with the agent SVID
 * (reference §3.3 and §4.4). {@link ServerClient} implements it over gRPC; tests may fake it.
 */
export interface ServerApi {
  /**
   * Every entry authorized to this agent. `known` holds the revisions of the entries from the
   * previous sync by id, so a revision-diff sync fetches only the new and changed ones; held
   * entries the server no longer lists are in neither part of the result.
   */
  fetchEntries(known: ReadonlyMap<string, KnownEntry>): Promise<FetchedEntries>;
  /** The agent's own trust-domain bundle (`Bundle.GetBundle`). */
  fetchBundle(): Promise<Bundle>;
  /** A federated bundle (`Bundle.GetFederatedBundle`), or undefined when the server has none. */
  fetchFederatedBundle(trustDomain: string): Promise<Bundle | undefined>;
  /**
   * Workload X509-SVIDs (`SVID.BatchNewX509SVID`): one result per request, in order; undefined
   * where the server refused that entry (the rest still count).
   */
  newX509Svids(requests: readonly X509SvidRequest[]): Promise<(X509SVID | undefined)[]>;
  /** A JWT-SVID for the entry and audience (`SVID.NewJWTSVID`). */
  newJwtSvid(entryId: string, audience: readonly string[]): Promise<JWTSVID>;
  /** A new agent SVID for a CSR (`Agent.RenewAgent`); its chain, leaf first (DER). */
  renewAgent(csr: Uint8Array): Promise<Uint8Array[]>;
}
