import type { FlagValues } from '../../common/cli/flagset.js';
import { ConfigError, ConfigErrorCode, type ConfigIssue } from '../../common/config/errors.js';
import { plainHcl } from '../../common/config/hcl.js';
import { configErrorFromZod } from '../../common/config/issues.js';
import { collectIssues, overlayFlags } from '../../common/config/overlay.js';
import { deepFreeze, readPlugins } from '../../common/config/plugins.js';
import { healthChecksWithDefaults } from '../../common/config/sections.js';
import { type ConfigSource, type ReadOptions, readConfigFile } from '../../common/config/source.js';
import { configTrustDomain } from '../../common/config/trust-domain.js';
import { agentFlagOverrides, DEFAULT_AGENT_CONFIG_PATH } from './flags.js';
import { type AgentFile, agentFileSchema } from './schema.js';
import type { AgentBootstrap, AgentConfig } from './types.js';

/** SPIRE's agent defaults (doc/spire_agent.md; field-notes §2.2). */
export const AGENT_DEFAULTS = Object.freeze({
  socket_path: '/tmp/spire-agent/public/api.sock',
  data_dir: '.',
  rebootstrap_delay_ms: 10 * 60_000,
  sync_interval_ms: 5_000,
  jwt_svid_cache_hit_timeout_ms: 30_000,
  x509_svid_cache_max_size: 1000,
  jwt_svid_cache_max_size: 1000,
  sds: Object.freeze({
    default_svid_name: 'default',
    default_bundle_name: 'ROOTCA',
    default_all_bundles_name: 'ALL',
  }),
});

/**
 * Loads the agent configuration as `spire-agent run` does: `-config` (default
 * `conf/agent/agent.conf`), `-expandEnv`, flags over file over defaults. Throws
 * {@link ConfigError} listing every problem.
 */
export function loadAgentConfig(flags: FlagValues, opts: ReadOptions = {}): AgentConfig {
  const path = (flags.config as string | undefined) || DEFAULT_AGENT_CONFIG_PATH;
  const source = readConfigFile(path, { ...opts, expandEnv: flags.expandEnv === true });
  return buildAgentConfig(source, flags);
}

/** Validates a parsed agent file with flag overrides into a frozen {@link AgentConfig}. */
export function buildAgentConfig(source: ConfigSource, flags: FlagValues = {}): AgentConfig {
  const { data, flagKeys } = overlayFlags(source.data, 'agent', agentFlagOverrides(flags));
  const parsed = agentFileSchema.safeParse(data, { reportInput: true });
  if (!parsed.success) {
    const issues = [
      ...configErrorFromZod(parsed.error, { lines: source.lines, flags: flagKeys }).issues,
    ];
    collectIssues(
      issues,
      () => data.plugins !== undefined && readPlugins(data.plugins, source.lines),
    );
    throw new ConfigError(issues);
  }
  const issues: ConfigIssue[] = [];
  const config = resolve(parsed.data, source, issues);
  if (issues.length > 0 || !config) throw new ConfigError(issues);
  return deepFreeze(config);
}

type AgentBlock = NonNullable<AgentFile['agent']>;

function resolve(
  file: AgentFile,
  source: ConfigSource,
  issues: ConfigIssue[],
): AgentConfig | undefined {
  const a = file.agent;
  const missing = (message: string, path: string) =>
    issues.push({ code: ConfigErrorCode.Missing, path, message });
  if (!a) {
    missing('agent section must be configured', 'agent');
    return undefined;
  }
  if (!a.server_address) missing('server_address must be configured', 'agent.server_address');
  if (!a.server_port) missing('server_port must be configured', 'agent.server_port');
  if (!a.trust_domain) missing('trust_domain must be configured', 'agent.trust_domain');
  if (file.plugins === undefined) missing('plugins section must be configured', 'plugins');
  if (a.join_token && a.join_token_file) {
    issues.push({
      code: ConfigErrorCode.Conflict,
      path: 'agent.join_token',
      message: 'only one of join_token or join_token_file can be specified, not both',
    });
  }
  checkCacheHitTimeout(a, issues);
  const trustDomain = collectIssues(issues, () =>
    a.trust_domain ? configTrustDomain(a.trust_domain, 'agent.trust_domain') : '',
  );
  const bootstrap = collectIssues(issues, () => readBootstrap(a));
  const plugins = collectIssues(issues, () =>
    file.plugins === undefined ? [] : readPlugins(file.plugins, source.lines),
  );
  if (!bootstrap) return undefined;
  const e = a.experimental;

  return {
    config_path: source.path,
    trust_domain: trustDomain ?? '',
    server_address: (a.server_address ?? '').replace(/^\[|\]$/g, ''),
    server_port: a.server_port ?? 0,
    socket_path: a.socket_path || AGENT_DEFAULTS.socket_path,
    ...(a.admin_socket_path ? { admin_socket_path: a.admin_socket_path } : {}),
    data_dir: a.data_dir || AGENT_DEFAULTS.data_dir,
    bootstrap,
    rebootstrap_mode: a.rebootstrap_mode ?? 'never',
    rebootstrap_delay_ms: a.rebootstrap_delay || AGENT_DEFAULTS.rebootstrap_delay_ms,
    ...(a.join_token ? { join_token: a.join_token } : {}),
    ...(a.join_token_file ? { join_token_file: a.join_token_file } : {}),
    log_level: a.log_level ?? 'info',
    log_format: a.log_format ?? 'text',
    ...(a.log_file ? { log_file: a.log_file } : {}),
    log_source_location: a.log_source_location ?? false,
    log_selectors: a.log_selectors ?? [],
    allow_unauthenticated_verifiers: a.allow_unauthenticated_verifiers ?? false,
    allowed_foreign_jwt_claims: a.allowed_foreign_jwt_claims ?? [],
    authorized_delegates: a.authorized_delegates ?? [],
    disable_workload_api: a.disable_workload_api ?? false,
    disable_sds_api: a.disable_sds_api ?? false,
    workload_x509_svid_key_type: a.workload_x509_svid_key_type ?? 'ec-p256',
    ...(a.availability_target === undefined
      ? {}
      : { availability_target_ms: a.availability_target }),
    x509_svid_cache_max_size: a.x509_svid_cache_max_size || AGENT_DEFAULTS.x509_svid_cache_max_size,
    jwt_svid_cache_max_size: a.jwt_svid_cache_max_size || AGENT_DEFAULTS.jwt_svid_cache_max_size,
    sds: {
      default_svid_name: a.sds?.default_svid_name || AGENT_DEFAULTS.sds.default_svid_name,
      default_bundle_name: a.sds?.default_bundle_name || AGENT_DEFAULTS.sds.default_bundle_name,
      default_all_bundles_name:
        a.sds?.default_all_bundles_name || AGENT_DEFAULTS.sds.default_all_bundles_name,
      disable_spiffe_cert_validation: a.sds?.disable_spiffe_cert_validation ?? false,
    },
    experimental: {
      sync_interval_ms: e?.sync_interval || AGENT_DEFAULTS.sync_interval_ms,
      use_sync_authorized_entries: e?.use_sync_authorized_entries ?? true,
      jwt_svid_cache_hit_timeout_ms:
        e?.jwt_svid_cache_hit_timeout ?? AGENT_DEFAULTS.jwt_svid_cache_hit_timeout_ms,
      require_pq_kem: e?.require_pq_kem ?? false,
      ratelimit: { ...(e?.ratelimit ?? {}) },
      feature_flags: e?.feature_flags ?? [],
      ...(e?.broker === undefined ? {} : { broker: plainHcl(e.broker) }),
    },
    profiling: {
      enabled: a.profiling_enabled ?? false,
      port: a.profiling_port ?? 0,
      freq: a.profiling_freq ?? 0,
      names: a.profiling_names ?? [],
    },
    plugins: plugins ?? [],
    telemetry: file.telemetry ?? {},
    health_checks: healthChecksWithDefaults(file.health_checks),
  };
}

// SPIRE §4.1: experimental.jwt_svid_cache_hit_timeout, when set, must be at least 5s and below 30s.
function checkCacheHitTimeout(a: AgentBlock, issues: ConfigIssue[]): void {
  const t = a.experimental?.jwt_svid_cache_hit_timeout;
  if (t === undefined || (t >= 5_000 && t < 30_000)) return;
  issues.push({
    code: ConfigErrorCode.InvalidValue,
    path: 'agent.experimental.jwt_svid_cache_hit_timeout',
    message: 'agent.experimental.jwt_svid_cache_hit_timeout must be at least 5s and less than 30s',
  });
}

/**
 * Picks the bootstrap trust source (bug-cases-2 D20): exactly one of `insecure_bootstrap`,
 * `trust_bundle_url`, `trust_bundle_path` (or `trust_bundle_spiffe_workload_api`), with SPIRE's
 * messages when several or none are given, and https only for a URL unless a unix socket carries it.
 */
function readBootstrap(a: AgentBlock): AgentBootstrap {
  const insecure = a.insecure_bootstrap === true;
  const url = a.trust_bundle_url ?? '';
  const path = a.trust_bundle_path ?? '';
  const conflict = (message: string) => ConfigError.of(ConfigErrorCode.Conflict, message, 'agent');
  if (insecure && url && path) {
    throw conflict(
      'only one of insecure_bootstrap, trust_bundle_url, or trust_bundle_path can be specified, not the three options',
    );
  }
  if (insecure && url)
    throw conflict('only one of insecure_bootstrap or trust_bundle_url can be specified, not both');
  if (url && path)
    throw conflict('only one of trust_bundle_url or trust_bundle_path can be specified, not both');
  if (insecure && path)
    throw conflict(
      'only one of insecure_bootstrap or trust_bundle_path can be specified, not both',
    );
  const workloadApi = a.trust_bundle_spiffe_workload_api ?? '';
  if (workloadApi && (insecure || url || path)) {
    throw conflict(
      'trust_bundle_spiffe_workload_api cannot be combined with another trust bundle source',
    );
  }
  const format = a.trust_bundle_format ?? 'pem';
  if (insecure) return { kind: 'insecure' };
  if (path) return { kind: 'path', path, format };
  if (workloadApi) return { kind: 'workload_api', address: workloadApi };
  if (url) {
    const socket = a.trust_bundle_unix_socket;
    if (!socket && !url.startsWith('https://')) {
      throw ConfigError.of(
        ConfigErrorCode.InvalidValue,
        'trust bundle URL must start with https://',
        'agent.trust_bundle_url',
      );
    }
    return { kind: 'url', url, format, ...(socket ? { unix_socket: socket } : {}) };
  }
  throw ConfigError.of(
    ConfigErrorCode.Missing,
    'trust_bundle_path or trust_bundle_url must be configured unless insecure_bootstrap is set',
    'agent.trust_bundle_path',
  );
}
