import { EventEmitter } from 'node:events';
import { WorkloadApiClient, type WorkloadApiClientOptions } from './client.js';
import { WorkloadApiError, WorkloadApiErrorCode } from './errors.js';
import type { WatchOptions } from './watch.js';

/** Options shared by the sources. */
export interface SourceOptions extends WorkloadApiClientOptions {
  /** Share an existing client (one agent connection for several sources, go-spiffe #318). */
  client?: WorkloadApiClient;
  /** How long `create` waits for the first good update (default 10 000 ms). */
  timeoutMs?: number;
}

/** Default wait for a source's first update. */
export const DEFAULT_SOURCE_TIMEOUT_MS = 10_000;

/** One watch feeding a source: a name for messages and how to open it. */
export interface Feed<T> {
  what: string;
  watch(client: WorkloadApiClient, options: WatchOptions): AsyncIterable<T>;
  apply(value: T): void;
}

/**
 * The engine every source shares: runs its watches in the background, keeps the latest error,
 * emits `updated` after each applied update and `watchError` for each failure survived, and
 * settles `ready` on the first update of every feed (or the timeout, or a fatal error).
 */
export class SourceCore extends EventEmitter {
  readonly client: WorkloadApiClient;
  readonly #ownsClient: boolean;
  readonly #abort = new AbortController();
  #lastError: WorkloadApiError | undefined;
  #closed = false;

  constructor(options: SourceOptions) {
    super();
    this.#ownsClient = options.client === undefined;
    this.client = options.client ?? new WorkloadApiClient(options);
  }

  /**
   * Starts the feeds; resolves when each delivered one update, rejects on timeout or a fatal
   * error, after closing the source (a source that failed to start holds no watch or client).
   */
  protected async start(
    feeds: Feed<unknown>[],
    timeoutMs = DEFAULT_SOURCE_TIMEOUT_MS,
  ): Promise<void> {
    const firsts = feeds.map((feed) => this.#run(feed));
    try {
      await this.#withTimeout(
        Promise.all(firsts).then(() => {}),
        feeds,
        timeoutMs,
      );
    } catch (err) {
      this.close();
      throw err;
    }
  }

  /** Throws `ERR_WORKLOADAPI_CLOSED` once closed. */
  protected requireOpen(what: string): void {
    if (this.#closed) {
      throw new WorkloadApiError(WorkloadApiErrorCode.Closed, `${what} is closed`);
    }
  }

  /** Resolves on each `updated` event until `signal` aborts or the source closes. */
  async *updates(signal?: AbortSignal): AsyncGenerator<void, void, undefined> {
    const stop = AbortSignal.any([this.#abort.signal, ...(signal ? [signal] : [])]);
    while (!stop.aborted) {
      const fired = await new Promise<boolean>((resolve) => {
        const onUpdate = () => done(true);
        const onStop = () => done(false);
        const done = (v: boolean) => {
          this.off('updated', onUpdate);
          stop.removeEventListener('abort', onStop);
          resolve(v);
        };
        this.once('updated', onUpdate);
        stop.addEventListener('abort', onStop, { once: true });
      });
      if (!fired) return;
      yield;
    }
  }

  /** Stops the watches (and the client, when the source made it). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#abort.abort();
    if (this.#ownsClient) this.client.close();
  }

  #run<T>(feed: Feed<T>): Promise<void> {
    return new Promise((resolve, reject) => {
      const options: WatchOptions = {
        signal: this.#abort.signal,
        onError: (err) => {
          this.#lastError = err;
          this.emit('watchError', err);
        },
      };
      const loop = async () => {
        for await (const value of feed.watch(this.client, options)) {
          feed.apply(value);
          resolve();
          this.emit('updated');
        }
      };
      loop().catch((err: unknown) => {
        const failure = err as WorkloadApiError;
        this.#lastError = failure;
        this.emit('watchError', failure);
        reject(failure);
      });
    });
  }

  #withTimeout(ready: Promise<void>, feeds: Feed<unknown>[], timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const what = feeds.map((f) => f.what).join(' and ');
        const said =
          this.#lastError?.message ?? `no answer from the agent at ${this.client.address}`;
        reject(
          new WorkloadApiError(
            WorkloadApiErrorCode.Timeout,
            `no ${what} within ${timeoutMs} ms: ${said}`,
            {
              address: this.client.address,
              cause: this.#lastError,
              grpcCode: this.#lastError?.grpcCode,
            },
          ),
        );
      }, timeoutMs);
    });
    return Promise.race([ready, timeout]).finally(() => clearTimeout(timer));
  }
}
