import { type Client, createClient } from '@connectrpc/connect';
import type { BundleSet } from '../bundle/index.js';
import { SpiffeWorkloadAPI } from '../gen/workload_pb.js';
import type { SpiffeId } from '../spiffeid/index.js';
import { JwtSvid } from '../svid/jwt/index.js';
import type { X509Svid } from '../svid/x509/index.js';
import { formatWorkloadEndpoint, resolveWorkloadEndpoint } from './address.js';
import type { BackoffOptions } from './backoff.js';
import { malformed, WorkloadApiError, WorkloadApiErrorCode } from './errors.js';
import {
  parseJwtBundles,
  parseJwtSvids,
  parseX509Bundles,
  parseX509Context,
  type X509Context,
} from './parse.js';
import { rpcError } from './rpc-error.js';
import { createWorkloadTransport } from './transport.js';
import { type WatchOptions, watchStream } from './watch.js';

/** Options of {@link WorkloadApiClient}. */
export interface WorkloadApiClientOptions {
  /** `unix:///path` or `tcp://ip:port`; default: the `SPIFFE_ENDPOINT_SOCKET` variable. */
  address?: string;
  /** Where to read `SPIFFE_ENDPOINT_SOCKET` (default `process.env`). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Default reconnection delays of the watches. */
  backoff?: BackoffOptions;
}

/** Options of one call. */
export interface CallOptions {
  /** Cancels the call. */
  signal?: AbortSignal;
}

/** Options of {@link WorkloadApiClient.fetchJwtSvids}. */
export interface JwtSvidParams extends CallOptions {
  /** The audiences the token is for; at least one (Workload API §6.2.1). */
  audience: readonly string[];
  /** The identity wanted; default: every identity the workload holds (the first is default). */
  subject?: SpiffeId | string;
}

/**
 * A client of the SPIFFE Workload API (every RPC of the X.509-SVID and JWT-SVID profiles) over
 * gRPC on the Workload Endpoint. Every request carries `workload.spiffe.io: true`. Responses
 * that break a mandatory-field rule are errors, never half applied.
 *
 * @example
 * const client = new WorkloadApiClient({ address: 'unix:///run/spire/sockets/agent.sock' });
 * const { svids, bundles } = await client.fetchX509Context();
 * for await (const ctx of client.watchX509Context({ signal })) rotate(ctx);
 * client.close();
 */
export class WorkloadApiClient {
  /** The endpoint address, normalised (`unix:///...` or `tcp://ip:port`). */
  readonly address: string;
  readonly #api: Client<typeof SpiffeWorkloadAPI>;
  readonly #close: () => void;
  readonly #backoff: BackoffOptions | undefined;
  #closed = false;

  /** Resolves the address now (explicit option wins over the env variable); connects lazily. */
  constructor(options: WorkloadApiClientOptions = {}) {
    const endpoint = resolveWorkloadEndpoint(options.address, options.env);
    this.address = formatWorkloadEndpoint(endpoint);
    const { transport, close } = createWorkloadTransport(endpoint);
    this.#api = createClient(SpiffeWorkloadAPI, transport);
    this.#close = close;
    this.#backoff = options.backoff;
  }

  /** The first FetchX509SVID answer: the workload's X.509-SVIDs and bundles. */
  async fetchX509Context(options: CallOptions = {}): Promise<X509Context> {
    return this.#first(
      (signal) => this.#api.fetchX509SVID({}, { signal }),
      parseX509Context,
      options,
    );
  }

  /** The default X.509-SVID (the first one, Workload API §5.3). */
  async fetchX509Svid(options: CallOptions = {}): Promise<X509Svid> {
    return (await this.fetchX509Context(options)).svids[0] as X509Svid;
  }

  /** Every X.509-SVID of the workload, the default first. */
  async fetchX509Svids(options: CallOptions = {}): Promise<readonly X509Svid[]> {
    return (await this.fetchX509Context(options)).svids;
  }

  /** The first FetchX509Bundles answer: X.509 bundles of the own and federated trust domains. */
  async fetchX509Bundles(options: CallOptions = {}): Promise<BundleSet> {
    return this.#first(
      (signal) => this.#api.fetchX509Bundles({}, { signal }),
      parseX509Bundles,
      options,
    );
  }

  /** The first FetchJWTBundles answer: JWT bundles of the own and federated trust domains. */
  async fetchJwtBundles(options: CallOptions = {}): Promise<BundleSet> {
    return this.#first(
      (signal) => this.#api.fetchJWTBundles({}, { signal }),
      parseJwtBundles,
      options,
    );
  }

  /** One JWT-SVID: for `subject` when given, else the default identity. */
  async fetchJwtSvid(params: JwtSvidParams): Promise<JwtSvid> {
    return (await this.fetchJwtSvids(params))[0] as JwtSvid;
  }

  /** JWT-SVIDs for `audience`: one per identity, or only `subject`'s (FetchJWTSVID). */
  async fetchJwtSvids(params: JwtSvidParams): Promise<JwtSvid[]> {
    const audience = checkAudience(params.audience);
    this.#requireOpen();
    const spiffeId = params.subject === undefined ? '' : String(params.subject);
    try {
      const resp = await this.#api.fetchJWTSVID(
        { audience: [...audience], spiffeId },
        { signal: params.signal },
      );
      return parseJwtSvids(resp, audience);
    } catch (err) {
      throw rpcError(err, this.address);
    }
  }

  /**
   * Has the agent validate `token` for `audience` (ValidateJWTSVID, which Workload API §6.2.3
   * prefers over local validation) and returns it parsed, with the claims the agent returned.
   */
  async validateJwtSvid(
    token: string,
    audience: string,
    options: CallOptions = {},
  ): Promise<JwtSvid> {
    checkAudience([audience]);
    this.#requireOpen();
    try {
      const resp = await this.#api.validateJWTSVID({ audience, svid: token }, options);
      const svid = JwtSvid.parseInsecure(token, [audience]);
      if (resp.spiffeId !== svid.id.toString()) {
        throw malformed(`validate response spiffe_id "${resp.spiffeId}" is not the token's sub`);
      }
      return svid;
    } catch (err) {
      throw rpcError(err, this.address);
    }
  }

  /** Every X.509 context the agent pushes, for as long as `signal` lets it (see {@link watchStream}). */
  watchX509Context(options: WatchOptions = {}): AsyncGenerator<X509Context, void, undefined> {
    return this.#watch(
      (signal) => this.#api.fetchX509SVID({}, { signal }),
      parseX509Context,
      options,
    );
  }

  /** Every X.509 bundle set the agent pushes. */
  watchX509Bundles(options: WatchOptions = {}): AsyncGenerator<BundleSet, void, undefined> {
    return this.#watch(
      (signal) => this.#api.fetchX509Bundles({}, { signal }),
      parseX509Bundles,
      options,
    );
  }

  /** Every JWT bundle set the agent pushes. */
  watchJwtBundles(options: WatchOptions = {}): AsyncGenerator<BundleSet, void, undefined> {
    return this.#watch(
      (signal) => this.#api.fetchJWTBundles({}, { signal }),
      parseJwtBundles,
      options,
    );
  }

  /** Closes the connection; open watches end and later calls fail with `ERR_WORKLOADAPI_CLOSED`. */
  close(): void {
    this.#closed = true;
    this.#close();
  }

  #watch<R, T>(
    open: (signal: AbortSignal) => AsyncIterable<R>,
    parse: (resp: R) => T,
    options: WatchOptions,
  ): AsyncGenerator<T, void, undefined> {
    this.#requireOpen();
    const backoff = options.backoff ?? this.#backoff;
    return watchStream({ open, parse, address: this.address }, { ...options, backoff });
  }

  async #first<R, T>(
    open: (signal: AbortSignal) => AsyncIterable<R>,
    parse: (resp: R) => T,
    options: CallOptions,
  ): Promise<T> {
    this.#requireOpen();
    const stream = new AbortController();
    const stop = () => stream.abort();
    options.signal?.addEventListener('abort', stop, { once: true });
    try {
      for await (const resp of open(stream.signal)) return parse(resp);
      throw new WorkloadApiError(
        WorkloadApiErrorCode.MalformedResponse,
        `the agent at ${this.address} ended the stream without a response`,
      );
    } catch (err) {
      throw rpcError(err, this.address);
    } finally {
      options.signal?.removeEventListener('abort', stop);
      stream.abort();
    }
  }

  #requireOpen(): void {
    if (this.#closed) {
      throw new WorkloadApiError(
        WorkloadApiErrorCode.Closed,
        `workload api client for ${this.address} is closed`,
      );
    }
  }
}

function checkAudience(audience: readonly string[]): readonly string[] {
  // Workload API §4.5, §6.2.1: audience is mandatory; an empty list would be refused anyway.
  if (
    !Array.isArray(audience) ||
    audience.length === 0 ||
    audience.some((a) => typeof a !== 'string' || a === '')
  ) {
    throw new WorkloadApiError(
      WorkloadApiErrorCode.InvalidArgument,
      'audience must hold at least one non-empty string (Workload API §6.2.1)',
    );
  }
  return audience;
}
