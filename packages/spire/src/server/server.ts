/**
 * `spire-server run`: builds the server from its configuration and runs it until closed.
 *
 * Start-up order: logger; data_dir; plugins (DataStore, KeyManager, UpstreamAuthority,
 * NodeAttestors); the shared context (CA manager started, entry cache loaded, datastore events
 * followed, CA bundle published); the server SVID; the API listeners (TLS and admin socket)
 * behind the authorization interceptor; the health listener; periodic pruning. `close()` undoes
 * it all in reverse order.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ConnectRouter } from '@connectrpc/connect';
import { type Clock, realClock } from '../common/clock/index.js';
import { opensslEcdsa } from '../common/crypto/openssl-ecdsa.js';
import { createLogger, LogField, type SpireLogger, subsystemLogger } from '../common/log/index.js';
import { Health } from '../gen/grpc/health/v1/health_pb.js';
import { Agent } from '../gen/spire/api/server/agent/v1/agent_pb.js';
import { Bundle } from '../gen/spire/api/server/bundle/v1/bundle_pb.js';
import { Debug } from '../gen/spire/api/server/debug/v1/debug_pb.js';
import { Entry } from '../gen/spire/api/server/entry/v1/entry_pb.js';
import { Logger } from '../gen/spire/api/server/logger/v1/logger_pb.js';
import { SVID } from '../gen/spire/api/server/svid/v1/svid_pb.js';
import { createAgentService } from './api/agent/service.js';
import { authorizationInterceptor } from './api/authorize.js';
import { createBundleService } from './api/bundle/index.js';
import type { ServerContext } from './api/context.js';
import { createDebugService } from './api/debug/index.js';
import { createEntryService } from './api/entry/index.js';
import { createAuthorizedEntriesMethods } from './api/entry-authorized/methods.js';
import { checkHealth, createHealthService } from './api/health/index.js';
import { createLoggerService, pinoLevelControl } from './api/logger/service.js';
import { createSvidService } from './api/svid/service.js';
import { svidStreams } from './api/svid/streams.js';
import { DatastoreCaJournalStore } from './ca/index.js';
import type { ServerConfig } from './config/index.js';
import { buildServerContext } from './runtime/context.js';
import { type HealthListener, startHealthListener } from './runtime/health-http.js';
import { startApiListeners } from './runtime/listeners.js';
import { startMaintenance } from './runtime/maintenance.js';
import { loadPlugins } from './runtime/plugins.js';
import { ServerSvidRotator } from './runtime/server-svid.js';

/** Options of {@link startServer} beyond the configuration. */
export interface StartServerOptions {
  readonly clock?: Clock;
  /** A logger to use instead of the one the configuration describes. */
  readonly log?: SpireLogger;
}

/** A running server. */
export interface RunningServer {
  readonly ctx: ServerContext;
  /** TCP port of the TLS API (useful with `bind_port = 0`). */
  readonly tcpPort: number;
  readonly socketPath: string;
  /** Port of the health listener, when enabled. */
  readonly healthPort: number | undefined;
  /** Stops listeners and timers and closes the datastore. */
  close(): Promise<void>;
}

/** Starts a SPIRE server from a loaded configuration. */
export async function startServer(
  config: ServerConfig,
  opts: StartServerOptions = {},
): Promise<RunningServer> {
  const clock = opts.clock ?? realClock;
  const handle = opts.log ? undefined : loggerFor(config);
  const log = opts.log ?? (handle?.logger as SpireLogger);
  const cleanups: (() => Promise<void> | void)[] = [() => handle?.close()];
  const closeAll = async () => {
    for (const fn of cleanups.reverse()) await fn();
  };
  try {
    return await start(config, clock, log, cleanups, closeAll);
  } catch (err) {
    log.error({ [LogField.Error]: err }, 'Server failed to start');
    await closeAll();
    throw err;
  }
}

async function start(
  config: ServerConfig,
  clock: Clock,
  log: SpireLogger,
  cleanups: (() => Promise<void> | void)[],
  closeAll: () => Promise<void>,
): Promise<RunningServer> {
  const startedAtMs = clock.now();
  logStartup(config, log);
  mkdirSync(config.data_dir, { recursive: true, mode: 0o700 });
  const plugins = await loadPlugins(config.plugins, { trustDomain: config.trust_domain, clock });
  cleanups.push(() => plugins.datastore.close());

  const built = await buildServerContext({
    config,
    clock,
    log,
    datastore: plugins.datastore,
    keyManager: plugins.keyManager,
    // The journal lives in the datastore; a ca-journal.json left by an earlier version is
    // imported once, then renamed ca-journal.json.migrated.
    journal: new DatastoreCaJournalStore({
      datastore: plugins.datastore,
      legacyFile: join(config.data_dir, 'ca-journal.json'),
      log: subsystemLogger(log, 'ca_manager'),
    }),
    nodeAttestors: plugins.nodeAttestors,
    ...(plugins.upstream ? { upstream: plugins.upstream } : {}),
  });
  cleanups.push(() => built.stop());
  const { ctx } = built;

  const svid = new ServerSvidRotator({
    ca: ctx.ca,
    clock,
    log: subsystemLogger(log, 'svid_rotator'),
  });
  await svid.start();
  cleanups.push(() => svid.stop());

  const listeners = await startApiListeners({
    routes: routesFor(ctx, { startedAtMs, serverSvidChain: () => svid.current.chain }),
    interceptors: [authorizationInterceptor(ctx)],
    rawStreams: svidStreams(ctx),
    bindAddress: config.bind_address,
    bindPort: config.bind_port,
    socketPath: resolve(config.socket_path),
    svid,
    log: subsystemLogger(log, 'endpoints'),
  });
  cleanups.push(() => listeners.close());

  let health: HealthListener | undefined;
  if (config.health_checks.listener_enabled) {
    health = await startHealthListener(config.health_checks, () => checkHealth(ctx), log);
    cleanups.push(() => health?.close());
  }
  const maintenance = startMaintenance(ctx, clock, log);
  cleanups.push(() => maintenance.cancel());

  return {
    ctx,
    tcpPort: listeners.tcpPort,
    socketPath: resolve(config.socket_path),
    healthPort: health?.port,
    close: closeAll,
  };
}

/** Every service the server answers, each behind the authorization interceptor. */
function routesFor(
  ctx: ServerContext,
  debug: Parameters<typeof createDebugService>[1],
): (router: ConnectRouter) => void {
  const launchLevel = ctx.config.log_level;
  return (router) => {
    router.service(Agent, createAgentService(ctx));
    router.service(Bundle, createBundleService(ctx));
    router.service(Debug, createDebugService(ctx, debug));
    router.service(Entry, createEntryService(ctx, createAuthorizedEntriesMethods(ctx)));
    router.service(Health, createHealthService(ctx));
    router.service(
      Logger,
      createLoggerService(ctx.log, pinoLevelControl([ctx.log], launchLevel), launchLevel),
    );
    router.service(SVID, createSvidService(ctx));
  };
}

function loggerFor(config: ServerConfig) {
  return createLogger({
    level: config.log_level,
    format: config.log_format,
    ...(config.log_file ? { file: config.log_file } : {}),
  });
}

function logStartup(config: ServerConfig, log: SpireLogger): void {
  for (const warning of config.warnings) log.warn(warning);
  if (config.admin_ids.length > 0) {
    log.info({ admin_ids: config.admin_ids }, 'Configured admin IDs');
  }
  log.info(
    { [LogField.TrustDomain]: config.trust_domain, data_dir: config.data_dir },
    'Starting SPIRE server',
  );
  // Bound (and self-tested) now rather than on the first CSR; the fallback is correct but slower.
  if (opensslEcdsa()) log.debug('CSR ECDSA signatures are checked with OpenSSL ECDSA_verify');
  else
    log.info(
      'CSR ECDSA signatures are checked with crypto.verify (OpenSSL ECDSA_verify not bound)',
    );
}
