import type { SpiffeBundle, TrustDomain } from '@spire-ts/spiffe';
import type { CachedEntry } from './entry.js';

/** The trust bundles the agent holds: its own and the federated ones by trust domain name. */
export class BundleState {
  #bundle: SpiffeBundle;
  #federated = new Map<string, SpiffeBundle>();
  readonly trustDomain: TrustDomain;

  constructor(bundle: SpiffeBundle) {
    this.#bundle = bundle;
    this.trustDomain = bundle.trustDomain;
  }

  get bundle(): SpiffeBundle {
    return this.#bundle;
  }

  get federated(): ReadonlyMap<string, SpiffeBundle> {
    return this.#federated;
  }

  /** Replaces the own bundle if its content changed; true when it did. */
  setBundle(next: SpiffeBundle): boolean {
    if (next.equals(this.#bundle)) return false;
    this.#bundle = next;
    return true;
  }

  /**
   * Sets the federated bundles fetched this sync (undefined for a trust domain the server has no
   * bundle for, which keeps the one held, if any) and drops those no entry federates with any
   * more. True when anything changed. An empty bundle is kept as it is: that trust domain simply
   * has no authorities (C22).
   */
  setFederated(fetched: ReadonlyMap<string, SpiffeBundle | undefined>): boolean {
    let changed = false;
    const next = new Map<string, SpiffeBundle>();
    for (const [td, bundle] of fetched) {
      const old = this.#federated.get(td);
      if (bundle && !old?.equals(bundle)) {
        next.set(td, bundle);
        changed = true;
      } else if (old) {
        next.set(td, old);
      }
    }
    if (next.size !== this.#federated.size) changed = true;
    this.#federated = next;
    return changed;
  }
}

/** The trust domains the entries federate with, sorted. */
export function federatedTrustDomains(entries: Iterable<CachedEntry>): string[] {
  const tds = new Set<string>();
  for (const entry of entries) for (const td of entry.federatesWith) tds.add(td);
  return [...tds].sort();
}
