import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { JwtSvid, SpiffeBundle, SpiffeId, TrustDomain } from '@spire-ts/spiffe';
import type {
  WorkloadCacheView,
  WorkloadJwtSvid,
  WorkloadSelector,
  WorkloadState,
  WorkloadX509Identity,
} from '../../../../src/agent/manager/workload-view.js';
import { makeCert, type TestCert } from '../../../support/pki.js';

/** A registration as the fake view knows it: an identity and the selectors it needs. */
export interface FakeEntry {
  readonly selectors: readonly string[];
  readonly identity: WorkloadX509Identity;
}

/** A trust domain's CA and JWT key, for minting what the fake view serves. */
export interface FakeAuthority {
  readonly td: TrustDomain;
  readonly ca: TestCert;
  readonly jwtKey: KeyObject;
  readonly jwtPublic: KeyObject;
  readonly kid: string;
  readonly bundle: SpiffeBundle;
}

/** Makes a CA (valid now) and a JWT key for `td`. */
export async function makeAuthority(td: string, kid = `${td}-k1`): Promise<FakeAuthority> {
  const now = Date.now();
  const ca = await makeCert({
    subject: `CN=${td} CA`,
    ca: true,
    uris: [`spiffe://${td}`],
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 3_600_000),
  });
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const trustDomain = TrustDomain.fromString(td);
  const bundle = new SpiffeBundle(trustDomain, {
    x509Authorities: [ca.cert],
    jwtAuthorities: new Map([[kid, publicKey]]),
  });
  return { td: trustDomain, ca, jwtKey: privateKey, jwtPublic: publicKey, kid, bundle };
}

/** Mints an X509-SVID identity for `id` under `authority`. */
export async function makeIdentity(
  authority: FakeAuthority,
  id: string,
  extra: Partial<WorkloadX509Identity> = {},
): Promise<WorkloadX509Identity> {
  const now = Date.now();
  const leaf = await makeCert({
    subject: 'CN=workload',
    issuer: authority.ca,
    uris: [id],
    serial: String(Math.floor(Math.random() * 1e9)),
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 600_000),
  });
  return {
    entryId: id,
    spiffeId: SpiffeId.fromString(id),
    hint: '',
    certChainDer: leaf.cert.raw,
    privateKeyPkcs8: leaf.privateKey.export({ type: 'pkcs8', format: 'der' }),
    expiresAtMs: now + 600_000,
    federatesWith: [],
    entryCreatedAt: 1,
    ...extra,
  };
}

/**
 * A WorkloadCacheView for endpoint tests: entries matched by selector subset, bundles set by the
 * test, every change announced to subscribers, which skip states equal to their last one.
 */
export class FakeView implements WorkloadCacheView {
  entries: FakeEntry[] = [];
  federated = new Map<string, SpiffeBundle>();
  isReady = true;
  jwtFailure: Error | undefined;
  jwtRequests: { audience: readonly string[]; spiffeId: string | undefined }[] = [];
  readonly #changes = new EventEmitter();

  constructor(readonly authority: FakeAuthority) {
    // Every open stream listens; a hundred concurrent ones are expected, not a leak.
    this.#changes.setMaxListeners(0);
  }

  /** Announces a change made to `entries` or `federated`. */
  changed(): void {
    this.#changes.emit('change');
  }

  snapshot(selectors: readonly WorkloadSelector[]): WorkloadState {
    const have = new Set(selectors.map((s) => `${s.type}:${s.value}`));
    const matching = this.entries
      .filter((e) => e.selectors.every((s) => have.has(s)))
      .map((e) => e.identity)
      .sort((a, b) => (a.entryId < b.entryId ? -1 : 1));
    const federatedBundles = new Map<string, SpiffeBundle>();
    for (const identity of matching) {
      for (const td of identity.federatesWith) {
        const bundle = this.federated.get(td);
        if (bundle) federatedBundles.set(td, bundle);
      }
    }
    return { identities: matching, bundle: this.authority.bundle, federatedBundles };
  }

  // As the agent's manager does: a change made while the consumer is busy is remembered, and
  // an abort ends the stream quietly (no AbortError per cancelled stream, which would colour
  // the Workload API benchmark).
  async *subscribe(selectors: readonly WorkloadSelector[], signal: AbortSignal) {
    let changed = false;
    let wake: (() => void) | undefined;
    const onChange = () => {
      changed = true;
      wake?.();
    };
    const onAbort = () => wake?.();
    this.#changes.on('change', onChange);
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      let last = this.snapshot(selectors);
      yield last;
      while (!signal.aborted) {
        if (!changed) await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        if (signal.aborted) return;
        changed = false;
        const next = this.snapshot(selectors);
        if (sameState(last, next)) continue;
        last = next;
        yield next;
      }
    } finally {
      this.#changes.off('change', onChange);
      signal.removeEventListener('abort', onAbort);
    }
  }

  async fetchJwtSvids(
    selectors: readonly WorkloadSelector[],
    audience: readonly string[],
    spiffeId?: SpiffeId,
  ): Promise<WorkloadJwtSvid[]> {
    this.jwtRequests.push({ audience, spiffeId: spiffeId?.toString() });
    if (this.jwtFailure) throw this.jwtFailure;
    const now = Date.now();
    return this.snapshot(selectors)
      .identities.filter((i) => !spiffeId || i.spiffeId.equals(spiffeId))
      .map((i) => ({
        spiffeId: i.spiffeId,
        token: this.signJwt(i.spiffeId.toString(), audience),
        hint: i.hint,
        expiresAtMs: now + 300_000,
        issuedAtMs: now,
      }));
  }

  /** A token for `sub` signed with this view's JWT authority. */
  signJwt(sub: string, audience: readonly string[], claims?: Record<string, unknown>): string {
    return signWith(this.authority, sub, audience, claims);
  }

  bundles() {
    return { bundle: this.authority.bundle, federated: this.federated };
  }

  ready(): boolean {
    return this.isReady;
  }
}

/** A JWT-SVID for `sub` signed by `authority`, valid for five minutes. */
export function signWith(
  authority: FakeAuthority,
  sub: string,
  audience: readonly string[],
  claims?: Record<string, unknown>,
): string {
  return JwtSvid.sign({
    id: SpiffeId.fromString(sub),
    audience,
    expiresAt: new Date(Date.now() + 300_000),
    key: authority.jwtKey,
    kid: authority.kid,
    ...(claims ? { claims } : {}),
  }).token;
}

function sameState(a: WorkloadState, b: WorkloadState): boolean {
  return (
    a.bundle === b.bundle &&
    a.identities.length === b.identities.length &&
    a.identities.every((identity, i) => identity === b.identities[i]) &&
    a.federatedBundles.size === b.federatedBundles.size &&
    [...a.federatedBundles].every(([td, bundle]) => b.federatedBundles.get(td) === bundle)
  );
}
