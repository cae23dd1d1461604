import type { SubscriptionSignal, WorkloadState } from './workload-view.js';

/**
 * True when two states would produce the same Workload API message: the same identity objects
 * in the same order and the same bundle objects. The cache replaces an identity or a bundle only
 * when it really changed, so comparing references is exact and cheap (C27, D28).
 */
export function sameState(a: WorkloadState, b: WorkloadState): boolean {
  if (a.bundle !== b.bundle || a.identities.length !== b.identities.length) return false;
  if (a.federatedBundles.size !== b.federatedBundles.size) return false;
  for (let i = 0; i < a.identities.length; i++) {
    if (a.identities[i] !== b.identities[i]) return false;
  }
  for (const [td, bundle] of a.federatedBundles) {
    if (b.federatedBundles.get(td) !== bundle) return false;
  }
  return true;
}

/**
 * One open subscription: the workload's selector keys, the last state it was sent, and a slot
 * holding the newest state not yet taken (older unsent states are dropped: each message carries
 * the full state, so only the latest matters).
 */
export class Subscriber {
  readonly keys: ReadonlySet<string>;
  #last: WorkloadState | undefined;
  #pending: WorkloadState | undefined;
  #wake: (() => void) | undefined;

  constructor(keys: ReadonlySet<string>) {
    this.keys = keys;
  }

  /** Offers the current state; it is queued only if it differs from what was last sent. */
  offer(state: WorkloadState): void {
    const reference = this.#pending ?? this.#last;
    if (reference && sameState(reference, state)) return;
    if (this.#last && sameState(this.#last, state)) {
      this.#pending = undefined;
      return;
    }
    this.#pending = state;
    this.#wake?.();
  }

  /** Waits for the next state to send, or undefined once `signal` aborts. */
  async next(signal: SubscriptionSignal): Promise<WorkloadState | undefined> {
    while (!this.#pending) {
      if (signal.aborted) return undefined;
      await new Promise<void>((resolve) => {
        const done = () => {
          signal.removeEventListener('abort', done);
          this.#wake = undefined;
          resolve();
        };
        this.#wake = done;
        signal.addEventListener('abort', done, { once: true });
      });
    }
    if (signal.aborted) return undefined;
    const state = this.#pending;
    this.#pending = undefined;
    this.#last = state;
    return state;
  }

  /** Records the first state, sent without waiting. */
  sent(state: WorkloadState): void {
    this.#last = state;
    this.#pending = undefined;
  }
}
