/** How long a watch waits between reconnection attempts. */
export interface BackoffOptions {
  /** First delay and the step added on each further failure (go-spiffe: 1 s). */
  initialDelayMs?: number;
  /** Upper bound of the delay (go-spiffe: 30 s). */
  maxDelayMs?: number;
}

/** go-spiffe's defaults: 1 s, 2 s, 3 s, ... capped at 30 s. */
export const DEFAULT_BACKOFF: Required<BackoffOptions> = Object.freeze({
  initialDelayMs: 1_000,
  maxDelayMs: 30_000,
});

/**
 * Linear backoff as go-spiffe's Workload API watches use it: each failure adds one step up to the
 * cap; a good message resets it.
 */
export class LinearBackoff {
  readonly #step: number;
  readonly #max: number;
  #attempt = 0;

  constructor(options: BackoffOptions = {}) {
    this.#step = options.initialDelayMs ?? DEFAULT_BACKOFF.initialDelayMs;
    this.#max = options.maxDelayMs ?? DEFAULT_BACKOFF.maxDelayMs;
    if (!(this.#step > 0) || !(this.#max >= this.#step)) {
      throw new RangeError('backoff needs initialDelayMs > 0 and maxDelayMs >= initialDelayMs');
    }
  }

  /** The delay before the next attempt; grows by one step per call up to the cap. */
  next(): number {
    this.#attempt += 1;
    return Math.min(this.#step * this.#attempt, this.#max);
  }

  /** Starts over from the first step (after a good message). */
  reset(): void {
    this.#attempt = 0;
  }
}

/** Resolves after `ms`, or early (without error) when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
