import { EventEmitter } from 'node:events';
import type { SpiffeId } from '@spire-ts/spiffe';
import type { Timer } from '../../common/clock/index.js';
import {
  type CredentialBuilder,
  type MintedX509Svid,
  type WorkloadJwtSvidRequest,
  type WorkloadX509SvidRequest,
  X509SvidMinter,
} from '../credtemplate/index.js';
import type { KeyManager, KeyType } from '../plugin/keymanager/types.js';
import type { UpstreamAuthority } from '../plugin/upstreamauthority/types.js';
import {
  activateAtMs,
  authorityIdOf,
  CaError,
  type JwtAuthority,
  otherSlot,
  prepareAtMs,
  type X509Authority,
} from './authority.js';
import { certNotAfter, spkiOfCert } from './cert-info.js';
import type { CaJournalIndex, CaJournalStore } from './journal.js';
import { type CaJournal, decodeJournal, encodeJournal } from './journal-codec.js';
import { issuerOf, type PrepareContext, prepareJwt, prepareX509 } from './prepare.js';

/** Options of the CA manager (server `ca_*` settings plus its collaborators). */
export interface CaManagerOptions {
  readonly builder: CredentialBuilder;
  readonly keyManager: KeyManager;
  readonly journal: CaJournalStore;
  /** `ca_key_type`; default ec-p256. */
  readonly caKeyType?: KeyType;
  /** `jwt_key_type`; default `ca_key_type`. */
  readonly jwtKeyType?: KeyType;
  readonly upstream?: UpstreamAuthority;
  /** `disable_jwt_svids`. */
  readonly disableJwtSvids?: boolean;
  /** How often rotation is checked; SPIRE ticks every 10 s. */
  readonly rotationIntervalMs?: number;
  /** How often stale journals are pruned (when the store can); SPIRE: every 8 h. */
  readonly journalPruneIntervalMs?: number;
}

/** The trust bundle contents the CA manager publishes. */
export interface CaBundle {
  readonly x509Authorities: readonly Buffer[];
  readonly jwtAuthorities: readonly { kid: string; publicKey: Buffer; notAfterMs: number }[];
}

/** A signed X.509-SVID with the chain to present: leaf first, then intermediates if any. */
export interface SignedX509Svid extends MintedX509Svid {
  readonly certChain: readonly Buffer[];
}

/**
 * Owns the server's X.509 CA and JWT signing keys: prepares the next one at half life, activates
 * it at five sixths, keeps the old one in the bundle until it expires, persists all of it in the
 * journal, and emits `bundle` (with a {@link CaBundle}) whenever the bundle changes.
 */
export class CaManager extends EventEmitter<{ bundle: [CaBundle]; error: [unknown] }> {
  readonly #opts: CaManagerOptions;
  readonly #caKeyType: KeyType;
  readonly #jwtKeyType: KeyType;
  #state: CaJournal = { x509: [], jwt: [], bundleX509: [], bundleJwt: [] };
  #minter: { authority: X509Authority; minter: X509SvidMinter } | undefined;
  #timer: Timer | undefined;
  #rotating: Promise<void> = Promise.resolve();
  /** When journals were last pruned; the first prune is one interval after start, as SPIRE's. */
  #lastPruneMs: number | undefined;

  constructor(opts: CaManagerOptions) {
    super();
    this.#opts = opts;
    this.#caKeyType = opts.caKeyType ?? 'ec-p256';
    this.#jwtKeyType = opts.jwtKeyType ?? this.#caKeyType;
  }

  /**
   * Loads the journal, rotates once (so there is an active CA) and saves the journal (which
   * also imports a journal read from a legacy file), then checks every 10 s.
   */
  async start(): Promise<void> {
    await this.#load();
    await this.#enqueue(true);
    const clock = this.#opts.builder.config.clock;
    this.#timer = clock.setInterval(this.#opts.rotationIntervalMs ?? 10_000, () => {
      this.rotate().catch((err: unknown) => this.emit('error', err));
    });
  }

  /** Stops the rotation timer. */
  stop(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  /** Runs one rotation check now; concurrent calls run one after another. */
  rotate(): Promise<void> {
    return this.#enqueue(false);
  }

  #enqueue(forceSave: boolean): Promise<void> {
    const run = this.#rotating.then(() => this.#rotateOnce(forceSave));
    this.#rotating = run.catch(() => {});
    return run;
  }

  /** The active X.509 authority, or undefined before start. */
  activeX509(): X509Authority | undefined {
    return this.#state.x509.find((a) => a.status === 'active');
  }

  /** The prepared (next) X.509 authority, if any. */
  preparedX509(): X509Authority | undefined {
    return this.#state.x509.find((a) => a.status === 'prepared');
  }

  /** The active JWT authority, or undefined before start or with JWT-SVIDs disabled. */
  activeJwt(): JwtAuthority | undefined {
    return this.#state.jwt.find((a) => a.status === 'active');
  }

  /** The prepared (next) JWT authority, if any. */
  preparedJwt(): JwtAuthority | undefined {
    return this.#state.jwt.find((a) => a.status === 'prepared');
  }

  /** Copies of every authority in the journal: the active one, then the prepared, then old ones. */
  authorities(): { x509: readonly X509Authority[]; jwt: readonly JwtAuthority[] } {
    return {
      x509: this.#state.x509.map((a) => ({ ...a })),
      jwt: this.#state.jwt.map((a) => ({ ...a })),
    };
  }

  /** The current bundle: every published, unexpired CA certificate and JWT key. */
  bundle(): CaBundle {
    return {
      x509Authorities: this.#state.bundleX509.map((e) => e.der),
      jwtAuthorities: this.#state.bundleJwt.map((e) => ({ ...e })),
    };
  }

  /** Signs a workload X.509-SVID with the active CA. */
  async signWorkloadX509Svid(req: WorkloadX509SvidRequest): Promise<SignedX509Svid> {
    const { authority, minter } = this.#activeMinter();
    const svid = await this.#opts.builder.workloadX509Svid(minter, req);
    return withChain(svid, authority);
  }

  /** Signs an agent X.509-SVID with the active CA. */
  async signAgentX509Svid(req: {
    spiffeId: SpiffeId;
    publicKey: WorkloadX509SvidRequest['publicKey'];
  }): Promise<SignedX509Svid> {
    const { authority, minter } = this.#activeMinter();
    return withChain(await this.#opts.builder.agentX509Svid(minter, req), authority);
  }

  /** Signs the server's own X.509-SVID with the active CA. */
  async signServerX509Svid(
    publicKey: WorkloadX509SvidRequest['publicKey'],
  ): Promise<SignedX509Svid> {
    const { authority, minter } = this.#activeMinter();
    return withChain(await this.#opts.builder.serverX509Svid(minter, publicKey), authority);
  }

  /** Signs a workload JWT-SVID with the active JWT key. */
  signWorkloadJwtSvid(req: WorkloadJwtSvidRequest): Promise<string> {
    const active = this.activeJwt();
    if (!active) throw new CaError('ERR_CA_NO_JWT_AUTHORITY', 'no active jwt signing key');
    const km = this.#opts.keyManager;
    const key = { ...active, sign: km.sign.bind(km, active.keyId) };
    return this.#opts.builder.workloadJwtSvid(key, req);
  }

  #activeMinter(): { authority: X509Authority; minter: X509SvidMinter } {
    const active = this.activeX509();
    if (!active)
      throw new CaError('ERR_CA_NO_X509_AUTHORITY', 'no active x509 ca; start the ca manager');
    if (this.#minter?.authority !== active) {
      this.#minter = {
        authority: active,
        minter: new X509SvidMinter(issuerOf(this.#opts.keyManager, active)),
      };
    }
    return this.#minter;
  }

  async #load(): Promise<void> {
    const km = this.#opts.keyManager;
    // SPIRE finds the server's journal through the keys it holds: each key's authority ID may
    // be the active X.509 authority of a journal row.
    const ids = (await km.getPublicKeys()).map((k) => authorityIdOf(k.spki));
    const loaded = await this.#opts.journal.load(ids);
    if (!loaded) return;
    const journal = decodeJournal(loaded.bytes, loaded.source);
    // An authority whose key is gone (memory KeyManager, lost keys file) cannot sign: drop it.
    const hasKey = async (a: { keyId: string; publicKey?: Buffer; chain?: readonly Buffer[] }) => {
      const info = await km.getPublicKey(a.keyId);
      return (
        info !== undefined && (a.publicKey ?? spkiOfCert(a.chain?.[0]))?.equals(info.spki) === true
      );
    };
    const x509 = [];
    for (const a of journal.x509) if (await hasKey(a)) x509.push(a);
    const jwt = [];
    for (const a of journal.jwt) if (await hasKey(a)) jwt.push(a);
    this.#state = { ...journal, x509, jwt };
  }

  /**
   * Rotates a copy of the journal, saves it, and only then makes it current: while the save
   * runs, and if it fails, signing goes on with the authorities already saved, so no new
   * authority signs anything the journal does not hold.
   */
  async #rotateOnce(forceSave: boolean): Promise<void> {
    const current = this.#state;
    const before = encodeJournal(current);
    const next: CaJournal = {
      x509: current.x509.map((a) => ({ ...a })),
      jwt: current.jwt.map((a) => ({ ...a })),
      bundleX509: [...current.bundleX509],
      bundleJwt: [...current.bundleJwt],
    };
    const ctx: PrepareContext = this.#opts;
    const now = this.#opts.builder.config.clock.now();
    next.x509 = await rotateKind(next.x509, now, (slot) => prepareX509(ctx, slot, this.#caKeyType));
    if (!this.#opts.disableJwtSvids) {
      next.jwt = await rotateKind(next.jwt, now, (slot) => prepareJwt(ctx, slot, this.#jwtKeyType));
    }
    publish(next, now);
    const after = encodeJournal(next);
    const changed = Buffer.compare(before, after) !== 0;
    if (changed || forceSave) {
      await this.#opts.journal.save(after, indexOf(next));
      if (changed) this.#state = next;
      if (bundleBytes(before) !== bundleBytes(after)) this.emit('bundle', this.bundle());
    }
    await this.#pruneJournals(now);
  }

  // SPIRE's PruneCAJournals: every 8 h, drops the journals (of other servers, or of keys this
  // server lost) whose every X.509 CA and JWT key expired more than 14 days ago. A server coming
  // back to such a journal would start a new CA anyway.
  async #pruneJournals(now: number): Promise<void> {
    const store = this.#opts.journal;
    this.#lastPruneMs ??= now;
    if (!store.prune || now - this.#lastPruneMs < (this.#opts.journalPruneIntervalMs ?? 8 * H)) {
      return;
    }
    this.#lastPruneMs = now;
    const expiredBefore = now - JOURNAL_PRUNE_AGE_MS;
    try {
      await store.prune((bytes) => {
        let j: CaJournal;
        try {
          j = decodeJournal(bytes);
        } catch {
          return false; // not ours to judge (another version's format)
        }
        return [...j.x509, ...j.jwt].every((a) => a.notAfterMs <= expiredBefore);
      });
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      this.emit(
        'error',
        new CaError('ERR_CA_JOURNAL_PRUNE', `could not prune ca journals: ${why}`, { cause: err }),
      );
    }
  }
}

const H = 3_600_000;
/** How long after its last authority expired a journal is kept (SPIRE: two weeks). */
const JOURNAL_PRUNE_AGE_MS = 14 * 24 * H;

/** Adds every current authority to the bundle and drops the expired ones. */
function publish(s: CaJournal, now: number): void {
  for (const a of s.x509) {
    const certs = a.upstreamRoots.length > 0 ? a.upstreamRoots : a.chain.slice(0, 1);
    for (const der of certs) {
      if (!s.bundleX509.some((e) => e.der.equals(der))) {
        s.bundleX509.push({
          der,
          notAfterMs: a.upstreamRoots.length > 0 ? certNotAfter(der) : a.notAfterMs,
        });
      }
    }
  }
  for (const a of s.jwt) {
    if (!s.bundleJwt.some((e) => e.kid === a.kid)) {
      s.bundleJwt.push({ kid: a.kid, publicKey: a.publicKey, notAfterMs: a.notAfterMs });
    }
  }
  s.bundleX509 = s.bundleX509.filter((e) => e.notAfterMs > now);
  s.bundleJwt = s.bundleJwt.filter((e) => e.notAfterMs > now);
}

/** What the saved journal is found by: the IDs of its active authorities. */
function indexOf(j: CaJournal): CaJournalIndex {
  const x509 = j.x509.find((a) => a.status === 'active');
  const spki = spkiOfCert(x509?.chain[0]);
  return {
    activeX509AuthorityId: spki ? authorityIdOf(spki) : '',
    activeJwtAuthorityId: j.jwt.find((a) => a.status === 'active')?.kid ?? '',
  };
}

type Authority = X509Authority | JwtAuthority;

/**
 * One rotation step for one kind of authority (reference §3.7):
 * 1. no usable active authority: activate the prepared one, or prepare one and activate it;
 * 2. past the active one's half life: prepare the next in the other slot;
 * 3. past five sixths: activate the prepared one (re-preparing it first if it is itself already
 *    past its own activation point), the active one becomes old;
 * 4. expired old authorities are forgotten (their slot gets reused).
 */
async function rotateKind<A extends Authority>(
  list: A[],
  now: number,
  prepare: (slot: 'A' | 'B') => Promise<A>,
): Promise<A[]> {
  const active = list.find((a) => a.status === 'active' && a.notAfterMs > now);
  let next = list.find((a) => a.status === 'prepared' && activateAtMs(a) > now);
  const old = list.filter((a) => a !== active && a !== next && a.notAfterMs > now);
  if (!active) {
    const fresh = next ?? (await prepare(old[0] ? otherSlot(old[0].slot) : 'A'));
    fresh.status = 'active';
    const keep = old.filter((a) => a.slot !== fresh.slot);
    return [fresh, ...keep.map((a) => Object.assign(a, { status: 'old' as const }))];
  }
  if (!next && now >= prepareAtMs(active)) next = await prepare(otherSlot(active.slot));
  if (next && now >= activateAtMs(active)) {
    active.status = 'old';
    next.status = 'active';
    return [next, active];
  }
  const keep = old
    .filter((a) => a.slot !== next?.slot)
    .map((a) => Object.assign(a, { status: 'old' }));
  return [active, ...(next ? [next] : []), ...keep];
}

function withChain(svid: MintedX509Svid, authority: X509Authority): SignedX509Svid {
  // Reference §3.6: self-signed CA ⇒ the leaf alone; upstream-signed ⇒ leaf + our CA + upstream
  // intermediates (the roots travel in the bundle).
  const chain = authority.upstreamRoots.length > 0 ? authority.chain : [];
  return { ...svid, certChain: [svid.der, ...chain] };
}

function bundleBytes(journal: Uint8Array): string {
  const doc = JSON.parse(Buffer.from(journal).toString()) as {
    bundleX509: unknown;
    bundleJwt: unknown;
  };
  return JSON.stringify([doc.bundleX509, doc.bundleJwt]);
}
