import { X509Certificate } from 'node:crypto';
import {
  type TrustDomain,
  verifyX509Svid,
  type X509BundleSource,
  X509Svid,
} from '@spire-ts/spiffe';
import type { Clock, Timer } from '../../common/clock/index.js';
import { LogField, type SpireLogger } from '../../common/log/index.js';
import type { AgentIdentity, NodeAttestation } from '../attestor/index.js';
import type { ServerApi } from '../client/server-api.js';
import { buildCsr } from '../keymanager/csr.js';
import type { AgentSvidKeys } from '../keymanager/svid-keys.js';
import { chainValidity, type Random, shouldRotate } from '../manager/rotation.js';
import type { AgentStorage } from '../storage/storage.js';

/** How often the agent SVID's age is checked (SPIRE's rotator: every 5 s). */
export const AGENT_SVID_CHECK_INTERVAL_MS = 5_000;

/** What {@link AgentSvidRotator} needs. */
export interface AgentSvidRotatorOptions {
  readonly trustDomain: TrustDomain;
  readonly clock: Clock;
  readonly log: SpireLogger;
  readonly keys: AgentSvidKeys;
  readonly storage: AgentStorage;
  readonly attestation: NodeAttestation;
  readonly api: () => ServerApi;
  /** The bundle the new SVID must chain to (the manager's current one). */
  readonly bundle: () => X509BundleSource;
  /** Told about each new identity (the client then opens a new TLS session with it). */
  readonly onRotated: (identity: AgentIdentity) => void;
  /** Told about a failed rotation (the agent decides: retry, attest again, shut down). */
  readonly onError: (err: unknown) => void;
  readonly random?: Random;
}

/**
 * Keeps the agent SVID fresh (reference §4.4): checked every 5 s, renewed once at most half its
 * lifetime (±10%) remains, with `Agent.RenewAgent` and a key in the other KeyManager slot; a
 * reattestable node attests again instead, as SPIRE does. The new SVID is stored before use.
 */
export class AgentSvidRotator {
  readonly #o: AgentSvidRotatorOptions;
  #identity: AgentIdentity;
  #timer: Timer | undefined;
  #rotating: Promise<void> | undefined;

  constructor(options: AgentSvidRotatorOptions, identity: AgentIdentity) {
    this.#o = options;
    this.#identity = identity;
  }

  /** The identity in use. */
  get identity(): AgentIdentity {
    return this.#identity;
  }

  /** Replaces the identity (after a re-attestation the agent ran itself). */
  #checking: Promise<void> = Promise.resolve();

  setIdentity(identity: AgentIdentity): void {
    this.#identity = identity;
  }

  start(): void {
    this.#timer = this.#o.clock.setInterval(AGENT_SVID_CHECK_INTERVAL_MS, () => {
      this.#checking = this.check().catch((err) => this.#o.onError(err));
    });
  }

  /** Stops checking; resolves once a rotation under way has finished. */
  stop(): Promise<void> {
    this.#timer?.cancel();
    return this.#checking;
  }

  /** Rotates if the SVID is past its rotation point; resolves when done. */
  async check(): Promise<void> {
    const { notBeforeMs, notAfterMs } = chainValidity(this.#identity.certificates);
    if (!shouldRotate(this.#o.clock.now(), notBeforeMs, notAfterMs, this.#o.random)) return;
    await this.rotate();
  }

  /** Rotates now (one rotation at a time). */
  rotate(): Promise<void> {
    this.#rotating ??= this.#rotate().finally(() => {
      this.#rotating = undefined;
    });
    return this.#rotating;
  }

  async #rotate(): Promise<void> {
    const current = this.#identity;
    const next = current.reattestable
      ? await this.#o.attestation.attest(current.key)
      : await this.#renew(current);
    this.#identity = next;
    this.#o.log.info({ [LogField.SpiffeId]: next.id.toString() }, 'Agent SVID rotated');
    this.#o.onRotated(next);
  }

  async #renew(current: AgentIdentity): Promise<AgentIdentity> {
    const key = await this.#o.keys.next(current.key);
    const chain = await this.#o.api().renewAgent(buildCsr(key.privateKey));
    const certs = chain.map((der) => new X509Certificate(der));
    const svid = X509Svid.parse(certs, key.privateKey);
    verifyX509Svid(certs, this.#o.bundle(), { at: new Date(this.#o.clock.now()) });
    if (!svid.id.equals(current.id)) {
      throw new Error(`renewed agent svid is for ${svid.id}, expected ${current.id}`);
    }
    await this.#o.storage.storeSvid(svid.certificates, current.reattestable);
    return { ...current, certificates: svid.certificates, key };
  }
}
