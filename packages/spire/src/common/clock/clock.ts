/** A pending callback scheduled on a {@link Clock}; `cancel()` stops it from running. */
export interface Timer {
  cancel(): void;
}

/**
 * Time as the server sees it. Everything with a TTL or a schedule takes a `Clock` so that tests
 * can drive it with {@link FakeClock} instead of waiting on the wall clock.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Runs `fn` once, `delayMs` from now. */
  setTimer(delayMs: number, fn: () => void): Timer;
  /** Runs `fn` every `periodMs`, first one period from now, until cancelled. */
  setInterval(periodMs: number, fn: () => void): Timer;
}

/** The wall clock and node's timers. Timers are unref'd so they never keep the process alive. */
export const realClock: Clock = {
  now: () => Date.now(),
  setTimer(delayMs, fn) {
    const handle = setTimeout(fn, delayMs);
    handle.unref();
    return { cancel: () => clearTimeout(handle) };
  },
  setInterval(periodMs, fn) {
    const handle = setInterval(fn, periodMs);
    handle.unref();
    return { cancel: () => clearInterval(handle) };
  },
};
