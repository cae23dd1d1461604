/**
 * Domain types of the SPIRE server's DataStore. They are our own shapes, independent of the
 * wire protos: SPIFFE IDs are canonical strings, times are Unix seconds (0 means "not set"),
 * selectors are `{ type, value }` pairs.
 */

/** A selector such as `unix:uid:1000`, split at its first colon into type and value. */
export interface Selector {
  readonly type: string;
  readonly value: string;
}

/** How a selector (or trust-domain) filter compares its set with an entry's or a node's set. */
export type MatchMode = 'exact' | 'subset' | 'superset' | 'any';

/** A registration entry as stored. */
export interface RegistrationEntry {
  readonly id: string;
  readonly spiffeId: string;
  readonly parentId: string;
  /** Sorted by type, then value; no duplicates. */
  readonly selectors: readonly Selector[];
  /** Seconds; 0 means the server default. */
  readonly x509SvidTtl: number;
  /** Seconds; 0 means the server default. */
  readonly jwtSvidTtl: number;
  readonly dnsNames: readonly string[];
  /** Trust domain names (`example.org`), sorted. */
  readonly federatesWith: readonly string[];
  readonly admin: boolean;
  readonly downstream: boolean;
  /** Unix seconds; 0 means the entry never expires. */
  readonly expiresAt: number;
  readonly hint: string;
  readonly storeSvid: boolean;
  /** Starts at 0 and grows by one on each update. */
  readonly revisionNumber: number;
  /** Unix seconds, set by the store. */
  readonly createdAt: number;
}

/** What a caller supplies to create an entry; `id` is a fresh UUIDv4 when absent. */
export interface NewRegistrationEntry {
  readonly id?: string;
  readonly spiffeId: string;
  readonly parentId: string;
  readonly selectors: readonly Selector[];
  readonly x509SvidTtl?: number;
  readonly jwtSvidTtl?: number;
  readonly dnsNames?: readonly string[];
  readonly federatesWith?: readonly string[];
  readonly admin?: boolean;
  readonly downstream?: boolean;
  readonly expiresAt?: number;
  readonly hint?: string;
  readonly storeSvid?: boolean;
}

/** The entry fields an update may change. */
export type EntryField =
  | 'spiffeId'
  | 'parentId'
  | 'selectors'
  | 'x509SvidTtl'
  | 'jwtSvidTtl'
  | 'dnsNames'
  | 'federatesWith'
  | 'admin'
  | 'downstream'
  | 'expiresAt'
  | 'hint'
  | 'storeSvid';

/** Which fields an update applies; absent means every field. */
export type EntryMask = Partial<Record<EntryField, boolean>>;

/** The result of creating an entry that may already exist (same SPIFFE ID, parent, selectors). */
export interface CreateEntryResult {
  readonly entry: RegistrationEntry;
  /** True when a similar entry existed and was returned instead of creating one. */
  readonly existed: boolean;
}

/** One item of a batch create: the entry, or the error that refused it. */
export type BatchCreateResult =
  | { readonly ok: true; readonly entry: RegistrationEntry; readonly existed: boolean }
  | { readonly ok: false; readonly error: Error };

/** A selector filter with its match mode. */
export interface SelectorMatch {
  readonly selectors: readonly Selector[];
  readonly match: MatchMode;
}

/** A trust-domain filter with its match mode. */
export interface TrustDomainMatch {
  readonly trustDomains: readonly string[];
  readonly match: MatchMode;
}

/** Paging: at most `pageSize` items after the position `pageToken` names. */
export interface Pagination {
  readonly pageSize: number;
  /** Opaque; empty or absent for the first page. */
  readonly pageToken?: string;
}

/** A page of results; `nextPageToken` is empty on the last page. */
export interface Page<T> {
  readonly items: T[];
  readonly nextPageToken: string;
}

/** Filters of `listEntries` and `countEntries`; all given filters must hold. */
export interface EntryFilter {
  readonly byParentId?: string;
  readonly bySpiffeId?: string;
  readonly bySelectors?: SelectorMatch;
  readonly byFederatesWith?: TrustDomainMatch;
  readonly byHint?: string;
  readonly byDownstream?: boolean;
}

/** An attested agent node. */
export interface AttestedNode {
  readonly spiffeId: string;
  readonly attestationDataType: string;
  /** Empty when the node is banned. */
  readonly certSerialNumber: string;
  /** Unix seconds. */
  readonly certNotAfter: number;
  readonly newCertSerialNumber: string;
  readonly newCertNotAfter: number;
  readonly canReattest: boolean;
  readonly agentVersion: string;
  /** Node selectors; filled only when asked for (`fetchSelectors`). */
  readonly selectors: readonly Selector[];
  /** Derived as SPIRE does: a node with an empty serial number is banned. */
  readonly banned: boolean;
}

/** What a caller supplies to create a node. */
export interface NewAttestedNode {
  readonly spiffeId: string;
  readonly attestationDataType: string;
  readonly certSerialNumber: string;
  readonly certNotAfter: number;
  readonly newCertSerialNumber?: string;
  readonly newCertNotAfter?: number;
  readonly canReattest?: boolean;
  readonly agentVersion?: string;
}

/** The node fields an update may change. */
export type NodeField =
  | 'certSerialNumber'
  | 'certNotAfter'
  | 'newCertSerialNumber'
  | 'newCertNotAfter'
  | 'canReattest'
  | 'agentVersion';

/** Which node fields an update applies; absent means every field. */
export type NodeMask = Partial<Record<NodeField, boolean>>;

/** Filters of `listAttestedNodes` and `countAttestedNodes`. */
export interface NodeFilter {
  readonly byAttestationType?: string;
  readonly byBanned?: boolean;
  /** Nodes whose current certificate expires strictly before this Unix time. */
  readonly byExpiresBefore?: number;
  readonly bySelectorMatch?: SelectorMatch;
  readonly byCanReattest?: boolean;
  /** Fill each node's selectors. */
  readonly fetchSelectors?: boolean;
}

/** An X.509 authority of a bundle: a DER certificate. */
export interface X509Authority {
  readonly asn1: Uint8Array;
  readonly tainted: boolean;
}

/** A JWT authority of a bundle: a PKIX DER public key with its key id. */
export interface JwtAuthority {
  readonly keyId: string;
  readonly publicKey: Uint8Array;
  /** Unix seconds; 0 means no expiry. */
  readonly expiresAt: number;
  readonly tainted: boolean;
}

/** A trust bundle stored per trust domain. */
export interface Bundle {
  /** Trust domain name, e.g. `example.org`. */
  readonly trustDomain: string;
  readonly x509Authorities: readonly X509Authority[];
  readonly jwtAuthorities: readonly JwtAuthority[];
  /** Seconds; 0 means none. */
  readonly refreshHint: number;
  readonly sequenceNumber: number;
}

/** The bundle fields an update may change. */
export type BundleMask = Partial<
  Record<'x509Authorities' | 'jwtAuthorities' | 'refreshHint' | 'sequenceNumber', boolean>
>;

/** What happens to entries federating with a bundle that is deleted. */
export type BundleDeleteMode = 'restrict' | 'delete' | 'dissociate';

/** A single-use join token. */
export interface JoinToken {
  readonly token: string;
  /** Unix seconds. */
  readonly expiresAt: number;
}

/** How a federated trust domain's bundle endpoint is authenticated. */
export type BundleEndpointProfile =
  | { readonly type: 'https_web' }
  | { readonly type: 'https_spiffe'; readonly endpointSpiffeId: string };

/** A federation relationship with another trust domain. */
export interface FederationRelationship {
  readonly trustDomain: string;
  readonly bundleEndpointUrl: string;
  readonly profile: BundleEndpointProfile;
  /** The trust domain's bundle when fetched with the relationship or given on create. */
  readonly trustDomainBundle?: Bundle;
}

/** The relationship fields an update may change. */
export type FederationRelationshipMask = Partial<
  Record<'bundleEndpointUrl' | 'profile' | 'trustDomainBundle', boolean>
>;

/** A CA journal record: an opaque blob indexed by its active authority ids. */
export interface CaJournal {
  readonly id: number;
  readonly data: Uint8Array;
  readonly activeX509AuthorityId: string;
  readonly activeJwtAuthorityId: string;
}

/** A change event: something happened to an entry or a node; ids only grow. */
export interface ChangeEvent {
  readonly eventId: number;
  /** The entry id or the node SPIFFE ID. */
  readonly key: string;
  /** Unix seconds. */
  readonly createdAt: number;
}
