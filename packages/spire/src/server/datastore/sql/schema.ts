import type { Generated } from 'kysely';

/** Which SQL engine a store talks to; drives the few places where SQL differs. */
export type Flavor = 'sqlite' | 'postgres' | 'mysql';

// Booleans are stored as integers 0/1 and times as Unix seconds in bigint columns on every
// engine, so rows read the same everywhere (after `Number()`: pg returns bigint as a string).
type Int = number | string | bigint;

/** The `registered_entries` table. */
export interface EntryTable {
  id: Generated<number>;
  entry_id: string;
  spiffe_id: string;
  parent_id: string;
  /** sha256 of spiffe id, parent id and selector set: enforces SPIRE's entry uniqueness. */
  unique_key: string;
  x509_svid_ttl: Int;
  jwt_svid_ttl: Int;
  admin: Int;
  downstream: Int;
  store_svid: Int;
  expiry: Int;
  hint: string;
  revision_number: Int;
  created_at: Int;
  updated_at: Int;
}

/** The `entry_selectors` table. */
export interface EntrySelectorTable {
  id: Generated<number>;
  entry_id: string;
  type: string;
  value: string;
}

/** The `entry_dns_names` table. */
export interface EntryDnsNameTable {
  id: Generated<number>;
  entry_id: string;
  value: string;
}

/** The `entry_federates_with` table. */
export interface EntryFederatesWithTable {
  id: Generated<number>;
  entry_id: string;
  trust_domain: string;
}

/** The `attested_nodes` table. */
export interface NodeTable {
  id: Generated<number>;
  spiffe_id: string;
  data_type: string;
  serial_number: string;
  expires_at: Int;
  new_serial_number: string;
  new_expires_at: Int;
  can_reattest: Int;
  agent_version: string;
  created_at: Int;
  updated_at: Int;
}

/** The `node_selectors` table. */
export interface NodeSelectorTable {
  id: Generated<number>;
  spiffe_id: string;
  type: string;
  value: string;
}

/** The `bundles` table; `data` is our bundle as UTF-8 JSON. */
export interface BundleTable {
  id: Generated<number>;
  trust_domain: string;
  data: Buffer;
  created_at: Int;
  updated_at: Int;
}

/** The `join_tokens` table. */
export interface JoinTokenTable {
  id: Generated<number>;
  token: string;
  expiry: Int;
  created_at: Int;
}

/** The `federation_relationships` table. */
export interface FederationTable {
  id: Generated<number>;
  trust_domain: string;
  bundle_endpoint_url: string;
  bundle_endpoint_profile: string;
  endpoint_spiffe_id: string;
  created_at: Int;
  updated_at: Int;
}

/** The `ca_journals` table. */
export interface CaJournalTable {
  id: Generated<number>;
  data: Buffer;
  active_x509_authority_id: string;
  active_jwt_authority_id: string;
  created_at: Int;
  updated_at: Int;
}

/** The `entry_events` and `node_events` tables. */
export interface EventTable {
  id: Generated<number>;
  key: string;
  created_at: Int;
}

/** The `migrations` table: one row per applied schema version. */
export interface MigrationTable {
  version: number;
  code_version: string;
  applied_at: Int;
}

/** Every table of the store. */
export interface Database {
  registered_entries: EntryTable;
  entry_selectors: EntrySelectorTable;
  entry_dns_names: EntryDnsNameTable;
  entry_federates_with: EntryFederatesWithTable;
  attested_nodes: NodeTable;
  node_selectors: NodeSelectorTable;
  bundles: BundleTable;
  join_tokens: JoinTokenTable;
  federation_relationships: FederationTable;
  ca_journals: CaJournalTable;
  entry_events: EventTable;
  node_events: EventTable;
  migrations: MigrationTable;
}
