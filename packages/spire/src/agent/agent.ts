import { resolve } from 'node:path';
import { SpiffeBundle, type SpiffeId, TrustDomain, X509Bundle } from '@spire-ts/spiffe';
import { type Clock, realClock } from '../common/clock/index.js';
import { LogField, type SpireLogger, subsystemLogger } from '../common/log/index.js';
import { type AgentIdentity, NodeAttestation } from './attestor/index.js';
import { isBanned, mustReattest, ServerClient, type ServerTlsOptions } from './client/index.js';
import type { AgentConfig } from './config/index.js';
import { AgentSvidKeys } from './keymanager/index.js';
import { CacheManager } from './manager/manager.js';
import type { Random } from './manager/rotation.js';
import type { WorkloadCacheView } from './manager/workload-view.js';
import type { WorkloadAttestor } from './plugin/workloadattestor/workload-attestor.js';
import { type AgentPlugins, buildAgentPlugins } from './runtime/catalog.js';
import { AgentRuntimeError, AgentRuntimeErrorCode } from './runtime/errors.js';
import { AgentSvidRotator } from './runtime/svid-rotator.js';
import { AgentStorage } from './storage/index.js';

/** Why a running agent stopped. */
export type AgentExit =
  | { readonly reason: 'stopped' }
  | { readonly reason: 'banned' | 'failed'; readonly error: AgentRuntimeError };

/** A running agent. */
export interface AgentHandle {
  /** What the Workload API, SDS and admin endpoints serve from. */
  readonly view: WorkloadCacheView;
  /** The cache manager behind the view (sync on demand in tests and tools). */
  readonly manager: CacheManager;
  /** The configured WorkloadAttestor plugins, for the endpoints. */
  readonly workloadAttestors: readonly WorkloadAttestor[];
  /** The agent's SPIFFE ID now. */
  agentId(): SpiffeId;
  /** Renews the agent SVID now (as the rotator does at half life). */
  rotateSvid(): Promise<void>;
  /** Resolves when the agent stops: `stop()`, a ban, or a failed re-attestation. */
  readonly done: Promise<AgentExit>;
  /** Stops syncing and rotating and closes the server connection. */
  stop(): Promise<void>;
}

/** Collaborators of {@link startAgent}; each has a production default. */
export interface StartAgentOptions {
  readonly log: SpireLogger;
  readonly clock?: Clock;
  /** Folder relative paths start from (default the process's). */
  readonly cwd?: string;
  /** Plugins to use instead of building them from `config.plugins`. */
  readonly plugins?: AgentPlugins;
  readonly random?: Random;
}

/**
 * Starts `spire-agent run`'s core (reference §3.8, §4.4): builds the plugins, establishes the
 * agent's identity (reusing the SVID in `data_dir`, or attesting), opens the mTLS client, runs a
 * first sync, then keeps syncing every `sync_interval` and rotates the agent SVID at half life.
 * The server's PermissionDenied reasons are obeyed: AGENT_EXPIRED, AGENT_NOT_ATTESTED,
 * AGENT_NOT_ACTIVE and AGENT_MUST_REATTEST make the agent attest again; AGENT_BANNED makes it
 * delete its SVID and stop (D12).
 *
 * @example
 * const agent = await startAgent(config, { log });
 * const endpoint = await startWorkloadEndpoint({ view: agent.view, ... });
 * await agent.done;
 */
export async function startAgent(
  config: AgentConfig,
  options: StartAgentOptions,
): Promise<AgentHandle> {
  const clock = options.clock ?? realClock;
  const log = subsystemLogger(options.log, 'agent');
  const cwd = options.cwd ?? process.cwd();
  const td = TrustDomain.fromString(config.trust_domain);
  const plugins = options.plugins ?? (await buildAgentPlugins(config, cwd));
  const storage = await AgentStorage.open(resolve(cwd, config.data_dir));
  const keys = new AgentSvidKeys(plugins.keyManager);
  warnIfCannotRestart(plugins, log);

  const attestation = new NodeAttestation({
    trustDomain: td,
    address: { host: config.server_address, port: config.server_port },
    bootstrap: config.bootstrap,
    attestor: plugins.nodeAttestor,
    storage,
    keys,
    clock,
    log: subsystemLogger(options.log, 'attestor'),
  });
  const runtime = new AgentRuntime({ config, clock, log, options, td, storage, keys, attestation });
  await runtime.start(await attestation.establish());
  return runtime.handle(plugins.workloadAttestors);
}

/** D25: a join-token node with memory keys cannot come back after a restart. */
function warnIfCannotRestart(plugins: AgentPlugins, log: SpireLogger): void {
  if (plugins.nodeAttestor.name === 'join_token' && !plugins.keyManager.persistent) {
    log.warn(
      "Node attestation is not reattestable and the 'memory' key manager is in use: the agent will need a new join token after a restart",
    );
  }
}

interface RuntimeParts {
  readonly config: AgentConfig;
  readonly clock: Clock;
  readonly log: SpireLogger;
  readonly options: StartAgentOptions;
  readonly td: TrustDomain;
  readonly storage: AgentStorage;
  readonly keys: AgentSvidKeys;
  readonly attestation: NodeAttestation;
}

/** The wiring between identity, client, manager and rotator, and the reaction to refusals. */
class AgentRuntime {
  readonly #p: RuntimeParts;
  #client!: ServerClient;
  #manager!: CacheManager;
  #rotator!: AgentSvidRotator;
  #reattesting: Promise<void> | undefined;
  #stopped = false;
  /** The bundle writes to data_dir, chained; never rejects (failures are logged). */
  #bundleWrites: Promise<void> = Promise.resolve();
  #exit!: (exit: AgentExit) => void;
  readonly done = new Promise<AgentExit>((resolve) => {
    this.#exit = resolve;
  });

  constructor(parts: RuntimeParts) {
    this.#p = parts;
  }

  async start(identity: AgentIdentity): Promise<void> {
    const { config, clock, td } = this.#p;
    this.#client = new ServerClient({
      address: { host: config.server_address, port: config.server_port },
      tls: this.#tls(identity, identity.bundle.x509Authorities()),
      useSyncAuthorizedEntries: config.experimental.use_sync_authorized_entries,
    });
    this.#manager = this.#newManager(identity);
    this.#rotator = new AgentSvidRotator(
      {
        trustDomain: td,
        clock,
        log: this.#p.log,
        keys: this.#p.keys,
        storage: this.#p.storage,
        attestation: this.#p.attestation,
        api: () => this.#client,
        bundle: () => this.#manager.bundleState.bundle,
        onRotated: (next) => this.#reconnect(next),
        onError: (err) => void this.#onServerError(err),
        ...(this.#p.options.random && { random: this.#p.options.random }),
      },
      identity,
    );
    await this.#firstSync();
    this.#manager.start(config.experimental.sync_interval_ms);
    this.#rotator.start();
  }

  handle(workloadAttestors: readonly WorkloadAttestor[]): AgentHandle {
    return {
      view: this.#manager,
      manager: this.#manager,
      workloadAttestors,
      agentId: () => this.#rotator.identity.id,
      rotateSvid: () => this.#rotator.rotate(),
      done: this.done,
      stop: async () => this.#stop({ reason: 'stopped' }),
    };
  }

  #newManager(identity: AgentIdentity): CacheManager {
    const { config, clock, log, td } = this.#p;
    const bundle =
      identity.bundle instanceof X509Bundle
        ? SpiffeBundle.fromX509Bundle(identity.bundle)
        : identity.bundle;
    return new CacheManager({
      api: () => this.#client,
      bundle: bundle.trustDomain.equals(td) ? bundle : new SpiffeBundle(td),
      clock,
      log: subsystemLogger(log, 'manager'),
      syncIntervalMs: config.experimental.sync_interval_ms,
      keyType: config.workload_x509_svid_key_type,
      x509SvidCacheMaxSize: config.x509_svid_cache_max_size,
      jwtSvidCacheMaxSize: config.jwt_svid_cache_max_size,
      jwtCacheHitTimeoutMs: config.experimental.jwt_svid_cache_hit_timeout_ms,
      onBundleChanged: (next) => {
        // One write at a time, in the order of the changes, so that an older bundle never lands
        // after a newer one; `#stop` waits for the last.
        this.#bundleWrites = this.#bundleWrites.then(() => this.#bundleChanged(next));
      },
      onSyncError: (err) => void this.#onServerError(err),
      ...(this.#p.options.random && { random: this.#p.options.random }),
    });
  }

  /** The first sync; a refusal is handled as in the loop, other failures are retried there. */
  async #firstSync(): Promise<void> {
    try {
      await this.#manager.synchronize();
    } catch (err) {
      this.#p.log.warn({ [LogField.Error]: err }, 'Initial synchronization failed; retrying');
      await this.#onServerError(err);
    }
  }

  async #onServerError(err: unknown): Promise<void> {
    if (this.#stopped) return;
    if (isBanned(err)) {
      await this.#banned(err);
    } else if (mustReattest(err)) {
      this.#reattesting ??= this.#reattest(err).finally(() => {
        this.#reattesting = undefined;
      });
      await this.#reattesting;
    } else {
      this.#p.log.warn({ [LogField.Error]: err }, 'Call to the server failed; will retry');
    }
  }

  async #banned(err: unknown): Promise<void> {
    const error = new AgentRuntimeError(
      AgentRuntimeErrorCode.Banned,
      'agent is banned: the server refused it with AGENT_BANNED; its svid was deleted',
      { cause: err },
    );
    this.#p.log.error(
      { [LogField.Error]: error },
      'Agent is banned: removing SVID and shutting down',
    );
    try {
      await this.#p.storage.deleteSvid();
    } finally {
      await this.#stop({ reason: 'banned', error });
    }
  }

  async #reattest(cause: unknown): Promise<void> {
    this.#p.log.warn({ [LogField.Error]: cause }, 'Agent needs to attest again');
    try {
      const identity = await this.#p.attestation.attest(this.#rotator.identity.key);
      this.#rotator.setIdentity(identity);
      this.#reconnect(identity);
    } catch (err) {
      const error = new AgentRuntimeError(
        AgentRuntimeErrorCode.ReattestFailed,
        'failed to attest again after the server refused the agent svid',
        { cause: err },
      );
      this.#p.log.error({ [LogField.Error]: error }, 'Re-attestation failed; shutting down');
      await this.#stop({ reason: 'failed', error });
    }
  }

  async #bundleChanged(bundle: SpiffeBundle): Promise<void> {
    try {
      await this.#p.storage.storeBundle(bundle.x509Authorities());
    } catch (err) {
      this.#p.log.error({ [LogField.Error]: err }, 'Failed to store the trust bundle');
    }
    this.#client.reconnect(this.#tls(this.#rotator.identity, bundle.x509Authorities()));
  }

  #reconnect(identity: AgentIdentity): void {
    this.#client.reconnect(this.#tls(identity, this.#manager.bundleState.bundle.x509Authorities()));
  }

  #tls(identity: AgentIdentity, authorities: ServerTlsOptions['authorities']): ServerTlsOptions {
    return {
      trustDomain: this.#p.td,
      authorities,
      identity: { certificates: identity.certificates, privateKey: identity.key.privateKey },
    };
  }

  async #stop(exit: AgentExit): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    // Let a sync or rotation under way finish writing data_dir before the process goes.
    await Promise.all([this.#manager?.stop(), this.#rotator?.stop()]);
    await this.#bundleWrites;
    this.#client?.close();
    this.#exit(exit);
  }
}
