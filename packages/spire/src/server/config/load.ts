import { isIP } from 'node:net';
import type { FlagValues } from '../../common/cli/flagset.js';
import { ConfigError, ConfigErrorCode, type ConfigIssue } from '../../common/config/errors.js';
import { plainHcl } from '../../common/config/hcl.js';
import { configErrorFromZod } from '../../common/config/issues.js';
import { collectIssues, overlayFlags } from '../../common/config/overlay.js';
import { deepFreeze, readPlugins } from '../../common/config/plugins.js';
import { healthChecksWithDefaults } from '../../common/config/sections.js';
import { type ConfigSource, type ReadOptions, readConfigFile } from '../../common/config/source.js';
import { configTrustDomain } from '../../common/config/trust-domain.js';
import { DEFAULT_SERVER_CONFIG_PATH, serverFlagOverrides } from './flags.js';
import { type ServerFile, serverFileSchema } from './schema.js';
import type { ServerConfig } from './types.js';

const HOUR_MS = 3_600_000;

/** SPIRE's server defaults (doc/spire_server.md; field-notes §2.2). */
export const SERVER_DEFAULTS = Object.freeze({
  bind_address: '0.0.0.0',
  bind_port: 8081,
  socket_path: '/tmp/spire-server/private/api.sock',
  ca_key_type: 'ec-p256',
  ca_ttl_ms: 24 * HOUR_MS,
  default_x509_svid_ttl_ms: HOUR_MS,
  default_jwt_svid_ttl_ms: 5 * 60_000,
  ca_subject: Object.freeze({ country: ['US'], organization: ['SPIFFE'], common_name: '' }),
  log_level: 'info',
  log_format: 'text',
  prune_attested_nodes_batch_size: 1000,
  cache_reload_interval_ms: 5_000,
  full_cache_reload_interval_ms: 24 * HOUR_MS,
  prune_events_older_than_ms: 12 * HOUR_MS,
  event_timeout_ms: 15 * 60_000,
  bundle_endpoint_port: 443,
  bundle_endpoint_refresh_hint_ms: 5 * 60_000,
} as const);

/**
 * Loads the server configuration as `spire-server run` does: the file named by `-config`
 * (default `conf/server/server.conf`), `$VAR` expansion when `-expandEnv` is set, flags over
 * file over defaults. Throws {@link ConfigError} listing every problem.
 */
export function loadServerConfig(flags: FlagValues, opts: ReadOptions = {}): ServerConfig {
  const path = (flags.config as string | undefined) || DEFAULT_SERVER_CONFIG_PATH;
  const source = readConfigFile(path, { ...opts, expandEnv: flags.expandEnv === true });
  return buildServerConfig(source, flags);
}

/** Validates a parsed server file with flag overrides into a frozen {@link ServerConfig}. */
export function buildServerConfig(source: ConfigSource, flags: FlagValues = {}): ServerConfig {
  const { data, flagKeys } = overlayFlags(source.data, 'server', serverFlagOverrides(flags));
  const parsed = serverFileSchema.safeParse(data, { reportInput: true });
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
  if (issues.length > 0) throw new ConfigError(issues);
  return deepFreeze(config as ServerConfig);
}

function resolve(
  file: ServerFile,
  source: ConfigSource,
  issues: ConfigIssue[],
): ServerConfig | undefined {
  const s = file.server;
  const missing = (message: string, path: string) =>
    issues.push({ code: ConfigErrorCode.Missing, path, message });
  if (!s) {
    missing('server section must be configured', 'server');
    return undefined;
  }
  const bindAddress = (s.bind_address ?? SERVER_DEFAULTS.bind_address).replace(/^\[|\]$/g, '');
  const bindPort = s.bind_port ?? SERVER_DEFAULTS.bind_port;
  if (bindAddress === '' || bindPort === 0) {
    missing('bind_address and bind_port must be configured', 'server.bind_address');
  }
  if (!s.trust_domain) missing('trust_domain must be configured', 'server.trust_domain');
  if (!s.data_dir) missing('data_dir must be configured', 'server.data_dir');
  if (file.plugins === undefined) missing('plugins section must be configured', 'plugins');

  const trustDomain = collectIssues(issues, () =>
    s.trust_domain ? configTrustDomain(s.trust_domain, 'server.trust_domain') : '',
  );
  const plugins = collectIssues(issues, () =>
    file.plugins === undefined ? [] : readPlugins(file.plugins, source.lines),
  );
  checkCidrs(s.proxy_protocol_trusted_cidrs ?? [], issues);
  const experimental = resolveExperimental(s.experimental, issues);
  const federation = resolveFederation(s.federation, issues);
  const x509Ttl = s.default_x509_svid_ttl ?? SERVER_DEFAULTS.default_x509_svid_ttl_ms;
  const caKeyType = s.ca_key_type ?? SERVER_DEFAULTS.ca_key_type;
  const subject = s.ca_subject;
  const subjectEmpty =
    !subject || (!subject.country?.length && !subject.organization?.length && !subject.common_name);

  const config: Omit<ServerConfig, 'warnings'> = {
    config_path: source.path,
    trust_domain: trustDomain ?? '',
    bind_address: bindAddress,
    bind_port: bindPort,
    socket_path: s.socket_path || SERVER_DEFAULTS.socket_path,
    data_dir: s.data_dir ?? '',
    admin_ids: s.admin_ids ?? [],
    audit_log_enabled: s.audit_log_enabled ?? false,
    ca_key_type: caKeyType,
    jwt_key_type: s.jwt_key_type ?? caKeyType,
    ca_subject: subjectEmpty
      ? SERVER_DEFAULTS.ca_subject
      : {
          country: subject?.country ?? [],
          organization: subject?.organization ?? [],
          common_name: subject?.common_name ?? '',
        },
    ca_ttl_ms: s.ca_ttl || SERVER_DEFAULTS.ca_ttl_ms,
    default_x509_svid_ttl_ms: x509Ttl,
    default_jwt_svid_ttl_ms: s.default_jwt_svid_ttl ?? SERVER_DEFAULTS.default_jwt_svid_ttl_ms,
    agent_ttl_ms: s.agent_ttl || x509Ttl,
    disable_jwt_svids: s.disable_jwt_svids ?? false,
    ...(s.jwt_issuer ? { jwt_issuer: s.jwt_issuer } : {}),
    log_level: s.log_level ?? SERVER_DEFAULTS.log_level,
    log_format: s.log_format ?? SERVER_DEFAULTS.log_format,
    ...(s.log_file ? { log_file: s.log_file } : {}),
    log_source_location: s.log_source_location ?? false,
    max_attested_node_info_staleness_ms: s.max_attested_node_info_staleness ?? 0,
    proxy_protocol_trusted_cidrs: s.proxy_protocol_trusted_cidrs ?? [],
    ...(s.prune_attested_nodes_expired_for === undefined
      ? {}
      : { prune_attested_nodes_expired_for_ms: s.prune_attested_nodes_expired_for }),
    prune_attested_nodes_batch_size:
      s.prune_attested_nodes_batch_size || SERVER_DEFAULTS.prune_attested_nodes_batch_size,
    prune_tofu_nodes: s.prune_tofu_nodes ?? false,
    ratelimit: {
      attestation: s.ratelimit?.attestation ?? true,
      signing: s.ratelimit?.signing ?? true,
    },
    profiling: {
      enabled: s.profiling_enabled ?? false,
      port: s.profiling_port ?? 0,
      freq: s.profiling_freq ?? 0,
      names: s.profiling_names ?? [],
    },
    experimental: { ...experimental, wit_key_type: experimental.wit_key_type ?? caKeyType },
    federation,
    plugins: plugins ?? [],
    telemetry: file.telemetry ?? {},
    health_checks: healthChecksWithDefaults(file.health_checks),
  };
  return { ...config, warnings: ttlWarnings(config, s.agent_ttl !== undefined) };
}

function checkCidrs(cidrs: readonly string[], issues: ConfigIssue[]): void {
  for (const cidr of cidrs) {
    const [addr = '', bits, extra] = cidr.split('/');
    const family = isIP(addr);
    const max = family === 6 ? 128 : 32;
    const ok =
      family !== 0 && extra === undefined && /^\d{1,3}$/.test(bits ?? '') && Number(bits) <= max;
    if (!ok) {
      const message = `server.proxy_protocol_trusted_cidrs: invalid CIDR "${cidr}"; write it as 10.0.0.0/8 or fd00::/8`;
      issues.push({
        code: ConfigErrorCode.InvalidValue,
        path: 'server.proxy_protocol_trusted_cidrs',
        message,
      });
    }
  }
}

type ServerBlock = NonNullable<ServerFile['server']>;

function resolveExperimental(e: ServerBlock['experimental'], issues: ConfigIssue[]) {
  if (e?.event_timeout !== undefined && e.sql_transaction_timeout !== undefined) {
    issues.push({
      code: ConfigErrorCode.Conflict,
      path: 'server.experimental.event_timeout',
      message:
        'both experimental sql_transaction_timeout and event_timeout set, only set event_timeout',
    });
  }
  return {
    agent_spiffe_id_as_selector: e?.agent_spiffe_id_as_selector ?? false,
    cache_reload_interval_ms: e?.cache_reload_interval || SERVER_DEFAULTS.cache_reload_interval_ms,
    full_cache_reload_interval_ms:
      e?.full_cache_reload_interval || SERVER_DEFAULTS.full_cache_reload_interval_ms,
    events_based_cache: e?.events_based_cache ?? false,
    prune_events_older_than_ms:
      e?.prune_events_older_than || SERVER_DEFAULTS.prune_events_older_than_ms,
    // sql_transaction_timeout is SPIRE's deprecated name for event_timeout.
    event_timeout_ms:
      e?.event_timeout || e?.sql_transaction_timeout || SERVER_DEFAULTS.event_timeout_ms,
    require_pq_kem: e?.require_pq_kem ?? false,
    wit_key_type: e?.wit_key_type,
    ...(e?.wit_issuer ? { wit_issuer: e.wit_issuer } : {}),
    feature_flags: e?.feature_flags ?? [],
    ...(e?.auth_opa_policy_engine ? { auth_opa_policy_engine: e.auth_opa_policy_engine } : {}),
  };
}

function resolveFederation(
  f: ServerBlock['federation'],
  issues: ConfigIssue[],
): ServerConfig['federation'] {
  const federatesWith = Object.entries(f?.federates_with ?? {}).map(([td, rel]) => {
    const path = `server.federation.federates_with["${td}"]`;
    const url = rel.bundle_endpoint_url ?? '';
    const fail = (message: string) =>
      issues.push({ code: ConfigErrorCode.InvalidValue, path, message });
    if (url === '') fail(`${path}.bundle_endpoint_url must be configured`);
    else if (!url.toLowerCase().startsWith('https://')) {
      fail(`${path}.bundle_endpoint_url must use the HTTPS protocol; URL found: "${url}"`);
    }
    if (rel.bundle_endpoint_profile === undefined) {
      fail(
        `federation configuration for trust domain "${td}": missing bundle endpoint configuration`,
      );
    }
    const trustDomain = collectIssues(issues, () => configTrustDomain(td, path)) ?? td;
    const profile = plainHcl(rel.bundle_endpoint_profile);
    return {
      trust_domain: trustDomain,
      bundle_endpoint_url: url,
      bundle_endpoint_profile: profile,
    };
  });
  const be = f?.bundle_endpoint;
  if (!be) return { federates_with: federatesWith };
  if (be.acme && (!be.acme.domain_name || !be.acme.email)) {
    const key = !be.acme.domain_name ? 'domain_name' : 'email';
    issues.push({
      code: ConfigErrorCode.Missing,
      path: `server.federation.bundle_endpoint.acme.${key}`,
      message: `federation.bundle_endpoint.acme.${key} must be configured`,
    });
  }
  if (be.acme && be.profile !== undefined) {
    issues.push({
      code: ConfigErrorCode.Conflict,
      path: 'server.federation.bundle_endpoint',
      message: "either bundle endpoint 'acme' or 'profile' can be set, but not both",
    });
  }
  return {
    bundle_endpoint: {
      address: be.address || '0.0.0.0',
      port: be.port || SERVER_DEFAULTS.bundle_endpoint_port,
      refresh_hint_ms: be.refresh_hint || SERVER_DEFAULTS.bundle_endpoint_refresh_hint_ms,
      ...(be.acme
        ? {
            acme: {
              ...(be.acme.directory_url ? { directory_url: be.acme.directory_url } : {}),
              domain_name: be.acme.domain_name ?? '',
              email: be.acme.email ?? '',
              tos_accepted: be.acme.tos_accepted ?? false,
            },
          }
        : {}),
      ...(be.profile === undefined ? {} : { profile: plainHcl(be.profile) }),
    },
    federates_with: federatesWith,
  };
}

// SPIRE §3.1: an SVID TTL longer than what fits before a CA rotation (ca_ttl / 6, at most 7 days)
// would be cut short; SPIRE warns at start-up.
function ttlWarnings(c: Omit<ServerConfig, 'warnings'>, agentTtlSet: boolean): string[] {
  const maxTtl = Math.min(c.ca_ttl_ms / 6, 7 * 24 * HOUR_MS);
  const checks: [string, number][] = [
    ['default_x509_svid_ttl', c.default_x509_svid_ttl_ms],
    ['default_jwt_svid_ttl', c.default_jwt_svid_ttl_ms],
  ];
  if (agentTtlSet) checks.push(['agent_ttl', c.agent_ttl_ms]);
  return checks
    .filter(([, ttl]) => ttl > maxTtl)
    .map(
      ([name]) =>
        `${name} is too high for the configured ca_ttl value; SVIDs with shorter lifetimes may be issued`,
    );
}
