/**
 * Builds the {@link ServerContext} every API service shares, from the configuration and the
 * already created plugins: the credential builder and CA manager over the KeyManager, the
 * authorized-entries cache loaded from the datastore, and the change notifier that keeps it
 * current. Used by `startServer` and by the test harness alike.
 */
import { SpiffeId, TrustDomain } from '@spire-ts/spiffe';
import type { Clock } from '../../common/clock/index.js';
import { LogField, type SpireLogger, subsystemLogger } from '../../common/log/index.js';
import type { ServerContext } from '../api/context.js';
import { type CaJournalStore, CaManager } from '../ca/index.js';
import { AuthorizedEntriesCache } from '../cache/authorized-entries.js';
import type { ServerConfig } from '../config/index.js';
import { CredentialBuilder } from '../credtemplate/index.js';
import type { DataStore, RegistrationEntry } from '../datastore/index.js';
import type { KeyManager } from '../plugin/keymanager/index.js';
import type { ServerNodeAttestor } from '../plugin/nodeattestor/node-attestor.js';
import type { UpstreamAuthority } from '../plugin/upstreamauthority/types.js';
import { publishCaBundle } from './bundle-publisher.js';
import { EventFollower, loadCache } from './cache-loader.js';
import { CacheChangeNotifier } from './change-notifier.js';

/** What {@link buildServerContext} needs besides the configuration. */
export interface ServerContextParts {
  readonly config: ServerConfig;
  readonly clock: Clock;
  readonly log: SpireLogger;
  readonly datastore: DataStore;
  readonly keyManager: KeyManager;
  readonly journal: CaJournalStore;
  readonly nodeAttestors: ReadonlyMap<string, ServerNodeAttestor>;
  readonly upstream?: UpstreamAuthority;
  /** How often the CA manager checks rotation (SPIRE: 10 s). */
  readonly rotationIntervalMs?: number;
}

/** A context with the pieces the runtime itself drives (start/stop, events). */
export interface BuiltServerContext {
  readonly ctx: ServerContext;
  readonly notifier: CacheChangeNotifier;
  readonly follower: EventFollower;
  /** Stops the CA rotation timer and the event follower (the datastore stays open). */
  stop(): void;
}

/**
 * Creates the CA manager (and starts it, so an authority is active), loads the cache, and starts
 * following datastore events every `experimental.cache_reload_interval`.
 */
export async function buildServerContext(parts: ServerContextParts): Promise<BuiltServerContext> {
  const { config, clock, log, datastore } = parts;
  const trustDomain = TrustDomain.fromString(config.trust_domain);
  const serverId = SpiffeId.fromPath(trustDomain, '/spire/server');
  const builder = new CredentialBuilder({
    trustDomain,
    clock,
    caSubject: {
      country: [...config.ca_subject.country],
      organization: [...config.ca_subject.organization],
      ...(config.ca_subject.common_name ? { commonName: config.ca_subject.common_name } : {}),
    },
    caTtlMs: config.ca_ttl_ms,
    x509SvidTtlMs: config.default_x509_svid_ttl_ms,
    agentSvidTtlMs: config.agent_ttl_ms,
    jwtSvidTtlMs: config.default_jwt_svid_ttl_ms,
    ...(config.jwt_issuer ? { jwtIssuer: config.jwt_issuer } : {}),
  });
  const ca = new CaManager({
    builder,
    keyManager: parts.keyManager,
    journal: parts.journal,
    caKeyType: config.ca_key_type,
    jwtKeyType: config.jwt_key_type,
    disableJwtSvids: config.disable_jwt_svids,
    ...(parts.upstream ? { upstream: parts.upstream } : {}),
    ...(parts.rotationIntervalMs ? { rotationIntervalMs: parts.rotationIntervalMs } : {}),
  });
  // A failed periodic rotation (datastore down, KeyManager error) is logged and retried on the
  // next tick; without a listener EventEmitter would throw it and stop the server.
  const caLog = subsystemLogger(log, 'ca_manager');
  ca.on('error', (err) => caLog.error({ [LogField.Error]: err }, 'CA rotation failed'));
  await ca.start();

  const entries = new AuthorizedEntriesCache<RegistrationEntry>({ serverId: serverId.toString() });
  const notifier = new CacheChangeNotifier(datastore, entries);
  const follower = new EventFollower({
    datastore,
    notifier,
    clock,
    log: subsystemLogger(log, 'entry_cache'),
    intervalMs: config.experimental.cache_reload_interval_ms,
  });
  await follower.markCurrent();
  await loadCache(datastore, entries);
  follower.start();
  const unpublish = await publishCaBundle({
    trustDomain: trustDomain.name,
    ca,
    datastore,
    changed: notifier,
    log: subsystemLogger(log, 'ca_manager'),
  });

  const ctx: ServerContext = {
    config,
    trustDomain,
    serverId,
    clock,
    log,
    datastore,
    ca,
    entries,
    nodeAttestors: parts.nodeAttestors,
    changed: notifier,
  };
  return {
    ctx,
    notifier,
    follower,
    stop() {
      unpublish();
      follower.stop();
      ca.stop();
    },
  };
}
