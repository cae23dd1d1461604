/**
 * What every server API service is built from. The server runtime (`server/server.ts`) creates
 * one {@link ServerContext} at start-up and hands it to each service factory
 * (`createEntryService(ctx)`, `createAgentService(ctx)`, ...), so a service never reaches for a
 * global and a test can build a context of its own around a temporary datastore.
 */
import type { SpiffeId, TrustDomain } from '@spire-ts/spiffe';
import type { Clock } from '../../common/clock/index.js';
import type { SpireLogger } from '../../common/log/index.js';
import type { CaManager } from '../ca/index.js';
import type { AuthorizedEntriesCache } from '../cache/authorized-entries.js';
import type { ServerConfig } from '../config/index.js';
import type { DataStore, RegistrationEntry } from '../datastore/index.js';
import type { ServerNodeAttestor } from '../plugin/nodeattestor/node-attestor.js';

/** The server's shared state and collaborators, as the API services see them. */
export interface ServerContext {
  readonly config: ServerConfig;
  readonly trustDomain: TrustDomain;
  /** `spiffe://<td>/spire/server`: the server's own ID, and the parent of node-alias entries. */
  readonly serverId: SpiffeId;
  readonly clock: Clock;
  readonly log: SpireLogger;
  readonly datastore: DataStore;
  readonly ca: CaManager;
  /** Entries and node selectors in memory; an agent's sync reads only this. */
  readonly entries: AuthorizedEntriesCache<RegistrationEntry>;
  /** Configured node attestors by plugin name (`join_token` is always present). */
  readonly nodeAttestors: ReadonlyMap<string, ServerNodeAttestor>;
  /**
   * Tells the cache (and any open agent streams) that the datastore changed, so a write made by
   * this server shows up at once instead of at the next event poll. Services call it after each
   * committed write with the ids they changed.
   */
  readonly changed: ChangeNotifier;
}

/** Pushes committed datastore changes into the in-memory views. */
export interface ChangeNotifier {
  /** Entries created, updated or deleted (by entry id). */
  entries(ids: readonly string[]): Promise<void>;
  /** Attested nodes created, updated, deleted, banned, or whose selectors changed (by agent ID). */
  nodes(agentIds: readonly string[]): Promise<void>;
  /** The trust domain's own bundle or a federated bundle changed. */
  bundles(): Promise<void>;
}

/**
 * Who is calling, established once per RPC from the connection (reference §3.9):
 * - `local`: over the admin Unix socket, with kernel-verified credentials;
 * - `x509`: over TCP with a client certificate that verified as an X509-SVID of our trust domain
 *   (or a federated one), carrying the caller's SPIFFE ID and presented chain;
 * - `anonymous`: over TCP without a client certificate.
 */
export type Caller =
  | { readonly kind: 'local'; readonly pid: number; readonly uid: number; readonly gid: number }
  | {
      readonly kind: 'x509';
      readonly id: SpiffeId;
      /** DER certificates as presented, leaf first. */
      readonly chain: readonly Uint8Array[];
      /** The leaf's serial number, lower-case hex (matched against attested-node records). */
      readonly serialNumber: string;
      /** The leaf's notAfter, Unix seconds. */
      readonly expiresAt: number;
      readonly remoteAddress: string;
    }
  | { readonly kind: 'anonymous'; readonly remoteAddress: string };

/**
 * The authorization classes of SPIRE's default policy: a method's rule lists which classes may
 * call it (SPIRE's `policy_data.json` flags `allow_any`, `allow_local`, `allow_admin`,
 * `allow_agent`, `allow_downstream`).
 */
export type CallerClass = 'any' | 'local' | 'admin' | 'agent' | 'downstream';

/** A caller that passed authorization, with the classes it was found to belong to. */
export interface AuthorizedCaller {
  readonly caller: Caller;
  /** For an `agent` caller: its attested-node SPIFFE ID (the caller's ID). */
  readonly agentId?: string;
  readonly classes: ReadonlySet<CallerClass>;
}
