import type { Clock, Timer } from './clock.js';

interface Scheduled {
  seq: number;
  dueMs: number;
  periodMs: number | undefined;
  fn: () => void;
  cancelled: boolean;
}

/**
 * A clock for tests: time moves only when the test calls {@link FakeClock.advance} or
 * {@link FakeClock.set}, and timers that fall due on the way run in due-time order, each with
 * `now()` equal to its due time.
 */
export class FakeClock implements Clock {
  #nowMs: number;
  #seq = 0;
  #timers: Scheduled[] = [];

  /** Starts at `startMs` (milliseconds since the epoch; default 2030-01-01T00:00:00Z). */
  constructor(startMs = Date.UTC(2030, 0, 1)) {
    this.#nowMs = startMs;
  }

  /** The fake current time in milliseconds since the epoch. */
  now(): number {
    return this.#nowMs;
  }

  /** Schedules `fn` once at `now() + delayMs`. */
  setTimer(delayMs: number, fn: () => void): Timer {
    return this.#schedule(delayMs, undefined, fn);
  }

  /** Schedules `fn` every `periodMs` (which must be positive), first at `now() + periodMs`. */
  setInterval(periodMs: number, fn: () => void): Timer {
    if (!(periodMs > 0)) throw new RangeError('periodMs must be a positive number');
    return this.#schedule(periodMs, periodMs, fn);
  }

  /** Number of timers still scheduled. */
  pendingTimers(): number {
    return this.#timers.filter((t) => !t.cancelled).length;
  }

  /** Moves time forward by `ms`, running every timer that falls due, in order. */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError('ms must be a non-negative number');
    this.set(this.#nowMs + ms);
  }

  /** Moves time to `targetMs` (never backwards), running every timer due on the way. */
  set(targetMs: number): void {
    if (targetMs < this.#nowMs) throw new RangeError('a fake clock never moves backwards');
    for (let next = this.#nextDue(targetMs); next; next = this.#nextDue(targetMs)) {
      this.#nowMs = next.dueMs;
      if (next.periodMs === undefined) next.cancelled = true;
      else next.dueMs += next.periodMs;
      next.fn();
    }
    this.#nowMs = targetMs;
  }

  #schedule(delayMs: number, periodMs: number | undefined, fn: () => void): Timer {
    const entry: Scheduled = {
      seq: this.#seq++,
      dueMs: this.#nowMs + Math.max(0, delayMs),
      periodMs,
      fn,
      cancelled: false,
    };
    this.#timers.push(entry);
    return {
      cancel: () => {
        entry.cancelled = true;
      },
    };
  }

  #nextDue(targetMs: number): Scheduled | undefined {
    this.#timers = this.#timers.filter((t) => !t.cancelled);
    let best: Scheduled | undefined;
    for (const t of this.#timers) {
      if (t.dueMs > targetMs) continue;
      if (!best || t.dueMs < best.dueMs || (t.dueMs === best.dueMs && t.seq < best.seq)) best = t;
    }
    return best;
  }
}
