import { type BackoffOptions, LinearBackoff, sleep } from './backoff.js';
import type { WorkloadApiError } from './errors.js';
import { isPermanent, rpcError } from './rpc-error.js';

/** Options of the `watch*` methods of {@link WorkloadApiClient}. */
export interface WatchOptions {
  /** Ends the watch: the iterator returns without error. */
  signal?: AbortSignal;
  /**
   * Told of every failure the watch survives: a status it will retry after a backoff, or a
   * malformed response it discarded. A watch never throws these.
   */
  onError?: (err: WorkloadApiError) => void;
  /** Reconnection delays; defaults to go-spiffe's 1 s steps capped at 30 s. */
  backoff?: BackoffOptions;
}

/** What a watch needs to know about the stream it keeps open. */
export interface StreamSpec<R, T> {
  /** Opens one server stream; aborting `signal` cancels it. */
  open(signal: AbortSignal): AsyncIterable<R>;
  /** Turns one response into a value, throwing to have it reported and discarded. */
  parse(resp: R): T;
  /** The endpoint address, for error messages. */
  address: string;
}

/**
 * Keeps a Workload API stream open as go-spiffe's watches do: yields every good response,
 * reconnects when the stream ends (§4.2) or fails, with linear backoff reset after a good
 * response; stops for good on InvalidArgument (thrown) or when `signal` aborts (returns).
 */
export async function* watchStream<R, T>(
  spec: StreamSpec<R, T>,
  options: WatchOptions = {},
): AsyncGenerator<T, void, undefined> {
  const { signal, onError } = options;
  const backoff = new LinearBackoff(options.backoff);
  while (!signal?.aborted) {
    const stream = new AbortController();
    const stop = () => stream.abort();
    signal?.addEventListener('abort', stop, { once: true });
    let received = false;
    try {
      for await (const resp of spec.open(stream.signal)) {
        const value = parseOrReport(spec, resp, onError);
        if (value === undefined) continue;
        received = true;
        backoff.reset();
        yield value.ok;
      }
      // Workload API §4.2: the server ended the stream; reconnect at once if it had served us.
      if (!received) await sleep(backoff.next(), signal);
    } catch (err) {
      if (signal?.aborted) return;
      const failure = rpcError(err, spec.address);
      if (isPermanent(failure)) throw failure;
      onError?.(failure);
      await sleep(backoff.next(), signal);
    } finally {
      signal?.removeEventListener('abort', stop);
      stream.abort();
    }
  }
}

function parseOrReport<R, T>(
  spec: StreamSpec<R, T>,
  resp: R,
  onError: WatchOptions['onError'],
): { ok: T } | undefined {
  try {
    return { ok: spec.parse(resp) };
  } catch (err) {
    onError?.(rpcError(err, spec.address));
    return undefined;
  }
}
