/**
 * The contract between the agent's cache manager (which syncs with the server and keeps SVIDs
 * fresh) and the endpoints that serve workloads (Workload API, SDS, the delegated identity API).
 * The manager implements {@link WorkloadCacheView}; an endpoint attests the caller, gets its
 * selectors, and asks the view for what those selectors are entitled to.
 */
import type { SpiffeBundle, SpiffeId } from '@spire-ts/spiffe';

/** A selector as workload attestors produce it (`unix` + `uid:1000`). */
export interface WorkloadSelector {
  readonly type: string;
  readonly value: string;
}

/**
 * One identity a workload is entitled to: the entry's ID with its current X509-SVID. The object
 * itself is the version: the same SVID is the same object, a new SVID a new one. The byte arrays
 * it gives may be new views of the same held bytes on each read: compare identities, not them.
 */
export interface WorkloadX509Identity {
  readonly entryId: string;
  readonly spiffeId: SpiffeId;
  readonly hint: string;
  /**
   * The X509-SVID chain as concatenated DER, leaf first, then intermediates (no root): the form
   * the Workload API sends (§5.2). Kept as bytes, not parsed certificates, so that a cached SVID
   * holds no native OpenSSL objects (issue 4: memory per SVID); parse it where truly needed.
   */
  readonly certChainDer: Uint8Array;
  /** The SVID's private key as unencrypted PKCS#8 DER (as the Workload API sends it). */
  readonly privateKeyPkcs8: Uint8Array;
  /** Leaf notAfter in milliseconds since the epoch. */
  readonly expiresAtMs: number;
  /** Trust domain names the entry federates with (their bundles go to the workload). */
  readonly federatesWith: readonly string[];
  /** Entry creation time (seconds), for SPIRE's ordering of identities. */
  readonly entryCreatedAt: number;
}

/**
 * Full state for one workload, as every Workload API message carries it: identities ordered as
 * SPIRE orders them, the agent's own trust-domain bundle, and the federated bundles of the
 * entries' `federatesWith` trust domains.
 */
export interface WorkloadState {
  readonly identities: readonly WorkloadX509Identity[];
  readonly bundle: SpiffeBundle;
  /** Keyed by trust domain name. */
  readonly federatedBundles: ReadonlyMap<string, SpiffeBundle>;
}

/** A JWT-SVID minted for a workload. */
export interface WorkloadJwtSvid {
  readonly spiffeId: SpiffeId;
  readonly token: string;
  readonly hint: string;
  readonly expiresAtMs: number;
  readonly issuedAtMs: number;
}

/**
 * What ends a subscription: the part of AbortSignal's shape a subscription uses. AbortSignal
 * fits, as does the lighter signal of a call served by hand (`CallSignal`).
 */
export interface SubscriptionSignal {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/** What workload-facing endpoints may ask of the agent's cache. */
export interface WorkloadCacheView {
  /** The current state for these selectors (entries whose selectors are all among them). */
  snapshot(selectors: readonly WorkloadSelector[]): WorkloadState;
  /**
   * Full state now, then again on every change that affects these selectors (entry created,
   * changed or removed; SVID rotated; bundle changed), until `signal` aborts. Consecutive equal
   * states are not repeated.
   */
  subscribe(
    selectors: readonly WorkloadSelector[],
    signal: SubscriptionSignal,
  ): AsyncIterable<WorkloadState>;
  /**
   * JWT-SVIDs for the entries these selectors match (or only for `spiffeId` when given), for the
   * audience; served from the per-(ID, audience set) cache, fetched from the server when stale.
   */
  fetchJwtSvids(
    selectors: readonly WorkloadSelector[],
    audience: readonly string[],
    spiffeId?: SpiffeId,
  ): Promise<WorkloadJwtSvid[]>;
  /** The agent's own trust-domain bundle and all federated bundles it holds. */
  bundles(): {
    readonly bundle: SpiffeBundle;
    readonly federated: ReadonlyMap<string, SpiffeBundle>;
  };
  /** True once the agent has attested and completed its first sync. */
  ready(): boolean;
}
