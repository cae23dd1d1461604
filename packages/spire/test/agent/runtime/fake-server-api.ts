import { create } from '@bufbuild/protobuf';
import { SpiffeId } from '@spire-ts/spiffe';
import type {
  FetchedEntries,
  KnownEntry,
  ServerApi,
  X509SvidRequest,
} from '../../../src/agent/client/server-api.js';
import type { Bundle } from '../../../src/gen/spire/api/types/bundle_pb.js';
import { type Entry, EntrySchema } from '../../../src/gen/spire/api/types/entry_pb.js';
import { type JWTSVID, JWTSVIDSchema } from '../../../src/gen/spire/api/types/jwtsvid_pb.js';
import { type X509SVID, X509SVIDSchema } from '../../../src/gen/spire/api/types/x509svid_pb.js';
import { csrPublicKey, type FakeCa } from './fake-ca.js';

/** Fields of a test entry; the rest get defaults. */
export interface TestEntry {
  readonly id: string;
  readonly spiffeId: string;
  readonly selectors: readonly string[];
  readonly federatesWith?: readonly string[];
  readonly revision?: bigint;
  readonly hint?: string;
  readonly x509SvidTtl?: number;
  readonly dnsNames?: readonly string[];
  /** `created_at` in seconds (default 1,900,000,000). */
  readonly createdAt?: bigint;
}

/** A `spire.api.types.Entry` for tests, from `type:value` selectors. */
export function entryProto(e: TestEntry): Entry {
  const id = SpiffeId.fromString(e.spiffeId);
  return create(EntrySchema, {
    id: e.id,
    spiffeId: { trustDomain: id.trustDomain.toString(), path: id.path },
    parentId: { trustDomain: id.trustDomain.toString(), path: '/spire/agent/test' },
    selectors: e.selectors.map((s) => {
      const colon = s.indexOf(':');
      return { type: s.slice(0, colon), value: s.slice(colon + 1) };
    }),
    federatesWith: [...(e.federatesWith ?? [])],
    revisionNumber: e.revision ?? 1n,
    createdAt: e.createdAt ?? 1_900_000_000n,
    hint: e.hint ?? '',
    x509SvidTtl: e.x509SvidTtl ?? 0,
    dnsNames: [...(e.dnsNames ?? [])],
  });
}

/**
 * The server side of the agent's RPCs in memory: entries, bundles, and a CA that signs the CSRs
 * it is sent. `down` makes every call fail as an unreachable server would. Counts each call.
 */
export class FakeServerApi implements ServerApi {
  readonly entries = new Map<string, Entry>();
  readonly federated = new Map<string, Bundle>();
  readonly calls = { entries: 0, bundle: 0, federated: 0, x509: 0, csrs: 0, jwt: 0, renew: 0 };
  /** Ids of the full entries the last `fetchEntries` sent, sorted. */
  lastFetched: string[] = [];
  /** CSRs received per entry id, over the whole test. */
  readonly csrsFor = new Map<string, number>();
  /** Entry ids for which BatchNewX509SVID answers with a failed status. */
  readonly refuse = new Set<string>();
  down: Error | undefined;
  ca: FakeCa;
  agentId = 'spiffe://example.org/spire/agent/join_token/t1';

  constructor(ca: FakeCa) {
    this.ca = ca;
  }

  /** Adds or replaces an entry. */
  put(e: TestEntry): void {
    this.entries.set(e.id, entryProto(e));
  }

  /**
   * The revision diff of SyncAuthorizedEntries: an entry the agent holds at the same revision and
   * creation time is kept, every other one is sent in full; held entries not listed are gone.
   */
  async fetchEntries(known: ReadonlyMap<string, KnownEntry>): Promise<FetchedEntries> {
    this.#check();
    this.calls.entries++;
    const kept: string[] = [];
    const fetched: Entry[] = [];
    for (const entry of this.entries.values()) {
      const held = known.get(entry.id);
      if (held?.revision === entry.revisionNumber && held.createdAt === entry.createdAt) {
        kept.push(entry.id);
      } else {
        fetched.push(entry);
      }
    }
    this.lastFetched = fetched.map((e) => e.id).sort();
    return { kept, fetched };
  }

  async fetchBundle(): Promise<Bundle> {
    this.#check();
    this.calls.bundle++;
    return this.ca.bundleProto();
  }

  async fetchFederatedBundle(td: string): Promise<Bundle | undefined> {
    this.#check();
    this.calls.federated++;
    return this.federated.get(td);
  }

  async newX509Svids(requests: readonly X509SvidRequest[]): Promise<(X509SVID | undefined)[]> {
    this.#check();
    this.calls.x509++;
    this.calls.csrs += requests.length;
    return Promise.all(requests.map((r) => this.#mintOne(r)));
  }

  async newJwtSvid(entryId: string, audience: readonly string[]): Promise<JWTSVID> {
    this.#check();
    this.calls.jwt++;
    const entry = this.entries.get(entryId);
    if (!entry?.spiffeId) throw new Error(`no entry ${entryId}`);
    const id = SpiffeId.fromPath(entry.spiffeId.trustDomain, entry.spiffeId.path);
    const token = await this.ca.mintJwt(id, audience);
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString());
    return create(JWTSVIDSchema, {
      token,
      id: entry.spiffeId,
      expiresAt: BigInt(claims.exp),
      issuedAt: BigInt(claims.iat),
    });
  }

  async renewAgent(csr: Uint8Array): Promise<Uint8Array[]> {
    this.#check();
    this.calls.renew++;
    return this.ca.mintAgent(SpiffeId.fromString(this.agentId), await csrPublicKey(csr));
  }

  async #mintOne(r: X509SvidRequest): Promise<X509SVID | undefined> {
    this.csrsFor.set(r.entryId, (this.csrsFor.get(r.entryId) ?? 0) + 1);
    const entry = this.entries.get(r.entryId);
    if (!entry?.spiffeId || this.refuse.has(r.entryId)) return undefined;
    const id = SpiffeId.fromPath(entry.spiffeId.trustDomain, entry.spiffeId.path);
    const ttlMs = entry.x509SvidTtl ? entry.x509SvidTtl * 1000 : undefined;
    const chain = await this.ca.mint(id, await csrPublicKey(r.csr), ttlMs, entry.dnsNames);
    return create(X509SVIDSchema, { certChain: chain, id: entry.spiffeId });
  }

  #check(): void {
    if (this.down) throw this.down;
  }
}
