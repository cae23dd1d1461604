import type { X509Certificate } from 'node:crypto';
import { TrustDomain, X509Svid } from '@spire-ts/spiffe';
import { bundleFromProto } from '../../../src/agent/client/bundle.js';
import { CacheManager, type CacheManagerOptions } from '../../../src/agent/manager/manager.js';
import type {
  WorkloadSelector,
  WorkloadState,
  WorkloadX509Identity,
} from '../../../src/agent/manager/workload-view.js';
import { FakeClock } from '../../../src/common/clock/index.js';
import { createLogger } from '../../../src/common/log/index.js';
import { makeFakeCa } from '../runtime/fake-ca.js';
import { FakeServerApi } from '../runtime/fake-server-api.js';

/** Log lines written by the code under test, parsed. */
export type LogLines = Record<string, unknown>[];

/** A cache manager over a {@link FakeServerApi}, on a fake clock, with its log captured. */
export async function makeManager(options: Partial<CacheManagerOptions> & { ttlMs?: number } = {}) {
  const clock = new FakeClock();
  const ca = await makeFakeCa({ clock, x509SvidTtlMs: options.ttlMs ?? 3600_000 });
  const api = new FakeServerApi(ca);
  const lines: LogLines = [];
  const { logger } = createLogger({
    level: 'debug',
    format: 'json',
    stream: { write: (l: string) => lines.push(JSON.parse(l)) },
  });
  const manager = new CacheManager({
    api: () => api,
    bundle: bundleFromProto(ca.bundleProto(), TrustDomain.fromString('example.org')),
    clock,
    log: logger,
    syncIntervalMs: 5000,
    keyType: 'ec-p256',
    x509SvidCacheMaxSize: 1000,
    jwtSvidCacheMaxSize: 1000,
    jwtCacheHitTimeoutMs: 30_000,
    random: () => 0.5,
    ...options,
  });
  return { clock, ca, api, manager, lines };
}

/** `type:value` strings to workload selectors. */
export function sel(...items: string[]): WorkloadSelector[] {
  return items.map((s) => {
    const colon = s.indexOf(':');
    return { type: s.slice(0, colon), value: s.slice(colon + 1) };
  });
}

/** Collects every state a subscription yields until `stop()`. */
export function collect(manager: CacheManager, selectors: WorkloadSelector[]) {
  const controller = new AbortController();
  const states: WorkloadState[] = [];
  const done = (async () => {
    for await (const state of manager.subscribe(selectors, controller.signal)) states.push(state);
  })();
  return {
    states,
    async stop() {
      controller.abort();
      await done;
    },
  };
}

/** Lets queued promise callbacks run (subscription pushes are delivered asynchronously). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** The SPIFFE IDs of a state's identities, in order. */
export function ids(state: WorkloadState | undefined): string[] {
  return (state?.identities ?? []).map((i) => i.spiffeId.toString());
}

/**
 * The leaf of an identity's cached DER chain, parsed with its PKCS#8 key: throws unless the chain
 * is a valid X509-SVID whose leaf matches the key.
 */
export function leafOf(identity: WorkloadX509Identity | undefined): X509Certificate | undefined {
  if (!identity) return undefined;
  return X509Svid.parse(identity.certChainDer, identity.privateKeyPkcs8).certificates[0];
}
