import { type Client, Code, ConnectError, createClient } from '@connectrpc/connect';
import { Agent } from '../../gen/spire/api/server/agent/v1/agent_pb.js';
import { Bundle as BundleService } from '../../gen/spire/api/server/bundle/v1/bundle_pb.js';
import { Entry as EntryService } from '../../gen/spire/api/server/entry/v1/entry_pb.js';
import { SVID } from '../../gen/spire/api/server/svid/v1/svid_pb.js';
import type { Bundle } from '../../gen/spire/api/types/bundle_pb.js';
import type { JWTSVID } from '../../gen/spire/api/types/jwtsvid_pb.js';
import type { X509SVID } from '../../gen/spire/api/types/x509svid_pb.js';
import { AgentClientError, AgentClientErrorCode, clientError } from './errors.js';
import type { FetchedEntries, KnownEntry, ServerApi, X509SvidRequest } from './server-api.js';
import type { ServerTlsOptions } from './server-tls.js';
import { syncAuthorizedEntries } from './sync-entries.js';
import {
  connectServer,
  RPC_TIMEOUT_MS,
  type ServerAddress,
  type ServerConnection,
} from './transport.js';

/** What {@link ServerClient} needs. */
export interface ServerClientOptions {
  readonly address: ServerAddress;
  readonly tls: ServerTlsOptions;
  /** `experimental.use_sync_authorized_entries` (default true); else GetAuthorizedEntries. */
  readonly useSyncAuthorizedEntries: boolean;
  /** Per-call deadline; SPIRE's 30 s by default. */
  readonly timeoutMs?: number;
}

/**
 * The agent's client of the server API over mTLS with the agent SVID. After the SVID rotates,
 * {@link ServerClient.reconnect} opens a new connection (a new TLS session with the new
 * certificate); the previous one is closed once the calls on it have had their deadline to end.
 * A failed connection is redialed by the next call.
 */
export class ServerClient implements ServerApi {
  readonly #o: ServerClientOptions;
  #conn: ServerConnection;
  #agent!: Client<typeof Agent>;
  #bundle!: Client<typeof BundleService>;
  #entry!: Client<typeof EntryService>;
  #svid!: Client<typeof SVID>;

  constructor(options: ServerClientOptions) {
    this.#o = options;
    this.#conn = this.#open(options.tls);
  }

  /** Switches to new TLS settings (a rotated SVID, a new bundle). */
  reconnect(tls: ServerTlsOptions): void {
    const old = this.#conn;
    this.#conn = this.#open(tls);
    setTimeout(() => old.close(), this.#timeout()).unref();
  }

  /** Closes the connection. */
  close(): void {
    this.#conn.close();
  }

  async fetchEntries(known: ReadonlyMap<string, KnownEntry>): Promise<FetchedEntries> {
    return this.#call('fetch authorized entries', async () => {
      if (this.#o.useSyncAuthorizedEntries) {
        return syncAuthorizedEntries(this.#entry, known, this.#options());
      }
      const { entries } = await this.#entry.getAuthorizedEntries({}, this.#options());
      return { kept: [], fetched: entries };
    });
  }

  fetchBundle(): Promise<Bundle> {
    return this.#call('fetch bundle', () => this.#bundle.getBundle({}, this.#options()));
  }

  async fetchFederatedBundle(trustDomain: string): Promise<Bundle | undefined> {
    try {
      return await this.#bundle.getFederatedBundle({ trustDomain }, this.#options());
    } catch (err) {
      if (ConnectError.from(err).code === Code.NotFound) return undefined;
      throw clientError('fetch federated bundle', err);
    }
  }

  async newX509Svids(requests: readonly X509SvidRequest[]): Promise<(X509SVID | undefined)[]> {
    const resp = await this.#call('batch new x509 svid(s)', () =>
      this.#svid.batchNewX509SVID({ params: requests.map((r) => ({ ...r })) }, this.#options()),
    );
    if (resp.results.length !== requests.length) {
      throw new AgentClientError(
        AgentClientErrorCode.MalformedResponse,
        `server answered ${resp.results.length} results for ${requests.length} csrs`,
      );
    }
    return resp.results.map((r) => ((r.status?.code ?? 0) === 0 ? r.svid : undefined));
  }

  async newJwtSvid(entryId: string, audience: readonly string[]): Promise<JWTSVID> {
    const resp = await this.#call('new jwt svid', () =>
      this.#svid.newJWTSVID({ entryId, audience: [...audience] }, this.#options()),
    );
    if (!resp.svid) {
      throw new AgentClientError(
        AgentClientErrorCode.MalformedResponse,
        'jwt svid response has no svid',
      );
    }
    return resp.svid;
  }

  async renewAgent(csr: Uint8Array): Promise<Uint8Array[]> {
    const resp = await this.#call('renew agent svid', () =>
      this.#agent.renewAgent({ params: { csr } }, this.#options()),
    );
    if (!resp.svid || resp.svid.certChain.length === 0) {
      throw new AgentClientError(
        AgentClientErrorCode.MalformedResponse,
        'renew agent response has no svid',
      );
    }
    return resp.svid.certChain;
  }

  async #call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw clientError(what, err);
    }
  }

  #open(tls: ServerTlsOptions): ServerConnection {
    const conn = connectServer(this.#o.address, tls);
    this.#agent = createClient(Agent, conn.transport);
    this.#bundle = createClient(BundleService, conn.transport);
    this.#entry = createClient(EntryService, conn.transport);
    this.#svid = createClient(SVID, conn.transport);
    return conn;
  }

  #timeout(): number {
    return this.#o.timeoutMs ?? RPC_TIMEOUT_MS;
  }

  #options() {
    return { timeoutMs: this.#timeout() };
  }
}
