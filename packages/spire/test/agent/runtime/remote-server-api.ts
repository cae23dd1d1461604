import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { fromBinary } from '@bufbuild/protobuf';
import type {
  FetchedEntries,
  KnownEntry,
  ServerApi,
  X509SvidRequest,
} from '../../../src/agent/client/server-api.js';
import { type Bundle, BundleSchema } from '../../../src/gen/spire/api/types/bundle_pb.js';
import { EntrySchema } from '../../../src/gen/spire/api/types/entry_pb.js';
import type { JWTSVID } from '../../../src/gen/spire/api/types/jwtsvid_pb.js';
import { type X509SVID, X509SVIDSchema } from '../../../src/gen/spire/api/types/x509svid_pb.js';
import type { TestEntry } from './fake-server-api.js';
import type { ServerProcessReply, ServerProcessRequest } from './server-process-protocol.js';

type Call = ServerProcessRequest extends infer R
  ? R extends ServerProcessRequest
    ? Omit<R, 'id'>
    : never
  : never;

/**
 * The agent's server API answered by a {@link FakeServerApi} in a child process
 * (server-process.ts): entries and SVIDs reach this process as protobuf wire bytes, as they reach
 * a real agent, and the CA's signing happens elsewhere. For measurements where what this process
 * allocates must be only the agent's own work (bench/agent-memory.bench.ts).
 */
export class RemoteServerApi implements ServerApi {
  readonly #child: ChildProcess;
  readonly #pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void }
  >();
  #nextId = 1;
  /** `BatchNewX509SVID` calls made so far. */
  x509Calls = 0;
  /** Awaited before each `BatchNewX509SVID` call with the number of calls made before it. */
  beforeX509Call: ((callsBefore: number) => Promise<void>) | undefined;

  private constructor(child: ChildProcess) {
    this.#child = child;
    child.on('message', (reply: ServerProcessReply) => {
      const call = this.#pending.get(reply.id);
      if (!call) return;
      this.#pending.delete(reply.id);
      if ('error' in reply) call.reject(new Error(`server process: ${reply.error}`));
      else call.resolve(reply.result);
    });
    child.on('exit', (code) => {
      for (const call of this.#pending.values()) {
        call.reject(new Error(`server process exited (code ${code}) before answering`));
      }
      this.#pending.clear();
    });
  }

  /** Starts the server process, its fake CA's clock at `startMs` (default 2030-01-01). */
  static async start(options: { startMs?: number } = {}): Promise<RemoteServerApi> {
    const child = fork(new URL('./server-process.ts', import.meta.url), [], {
      execArgv: ['--import', 'tsx'],
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, FAKE_SERVER_START_MS: options.startMs?.toString() ?? '' },
    });
    const [ready] = (await Promise.race([
      once(child, 'message'),
      once(child, 'exit').then(([code]) => {
        throw new Error(`server process exited (code ${code}) while starting`);
      }),
    ])) as [ServerProcessReply];
    if (!('result' in ready) || ready.result !== 'ready') {
      child.kill();
      throw new Error(`server process did not start: ${JSON.stringify(ready)}`);
    }
    return new RemoteServerApi(child);
  }

  /** Adds or replaces entries on the server; resolves with the number of entries it holds. */
  put(entries: readonly TestEntry[]): Promise<number> {
    return this.#call({ op: 'put', entries }) as Promise<number>;
  }

  async fetchEntries(known: ReadonlyMap<string, KnownEntry>): Promise<FetchedEntries> {
    const held = [...known].map(([id, e]) => [id, e.revision, e.createdAt] as const);
    const reply = (await this.#call({ op: 'fetchEntries', known: held })) as {
      kept: string[];
      fetched: Uint8Array[];
    };
    return { kept: reply.kept, fetched: reply.fetched.map((b) => fromBinary(EntrySchema, b)) };
  }

  async fetchBundle(): Promise<Bundle> {
    return fromBinary(BundleSchema, (await this.#call({ op: 'fetchBundle' })) as Uint8Array);
  }

  /** The server process holds no federated bundles. */
  async fetchFederatedBundle(): Promise<Bundle | undefined> {
    return undefined;
  }

  async newX509Svids(requests: readonly X509SvidRequest[]): Promise<(X509SVID | undefined)[]> {
    await this.beforeX509Call?.(this.x509Calls);
    this.x509Calls++;
    const reply = (await this.#call({
      op: 'newX509Svids',
      requests: requests.map((r) => ({ entryId: r.entryId, csr: r.csr })),
    })) as (Uint8Array | null)[];
    return reply.map((b) => (b ? fromBinary(X509SVIDSchema, b) : undefined));
  }

  newJwtSvid(): Promise<JWTSVID> {
    return Promise.reject(new Error('the server process does not mint JWT-SVIDs'));
  }

  renewAgent(): Promise<Uint8Array[]> {
    return Promise.reject(new Error('the server process does not renew agent SVIDs'));
  }

  /** Stops the server process; resolves once it has exited. */
  async close(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    const exited = once(this.#child, 'exit');
    this.#child.disconnect();
    await exited;
  }

  #call(call: Call): Promise<unknown> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#child.send({ ...call, id } as ServerProcessRequest, (err) => {
        if (!err) return;
        this.#pending.delete(id);
        reject(err);
      });
    });
  }
}
