import type { PluginConfig } from '../../common/config/plugins.js';
import type { HealthChecksConfig, TelemetryConfig } from '../../common/config/sections.js';
import type { LogFormat, LogLevel } from '../../common/log/level.js';

/** How the agent obtains the bundle it trusts the server with before its first attestation. */
export type AgentBootstrap =
  | { readonly kind: 'insecure' }
  | { readonly kind: 'path'; readonly path: string; readonly format: 'pem' | 'spiffe' }
  | {
      readonly kind: 'url';
      readonly url: string;
      readonly format: 'pem' | 'spiffe';
      readonly unix_socket?: string;
    }
  | { readonly kind: 'workload_api'; readonly address: string };

/**
 * The agent's configuration after flags, file and defaults are merged and validated. Options keep
 * SPIRE's snake_case names; durations are milliseconds with `_ms` in the name. Frozen.
 */
export interface AgentConfig {
  readonly config_path: string;
  readonly trust_domain: string;
  readonly server_address: string;
  readonly server_port: number;
  readonly socket_path: string;
  readonly admin_socket_path?: string;
  readonly data_dir: string;
  readonly bootstrap: AgentBootstrap;
  readonly rebootstrap_mode: 'never' | 'auto' | 'always';
  readonly rebootstrap_delay_ms: number;
  readonly join_token?: string;
  readonly join_token_file?: string;
  readonly log_level: LogLevel;
  readonly log_format: LogFormat;
  readonly log_file?: string;
  readonly log_source_location: boolean;
  readonly log_selectors: readonly string[];
  readonly allow_unauthenticated_verifiers: boolean;
  readonly allowed_foreign_jwt_claims: readonly string[];
  readonly authorized_delegates: readonly string[];
  readonly disable_workload_api: boolean;
  readonly disable_sds_api: boolean;
  readonly workload_x509_svid_key_type: 'rsa-2048' | 'ec-p256' | 'ec-p384';
  readonly availability_target_ms?: number;
  readonly x509_svid_cache_max_size: number;
  readonly jwt_svid_cache_max_size: number;
  readonly sds: {
    readonly default_svid_name: string;
    readonly default_bundle_name: string;
    readonly default_all_bundles_name: string;
    readonly disable_spiffe_cert_validation: boolean;
  };
  readonly experimental: {
    readonly sync_interval_ms: number;
    readonly use_sync_authorized_entries: boolean;
    readonly jwt_svid_cache_hit_timeout_ms: number;
    readonly require_pq_kem: boolean;
    readonly ratelimit: Readonly<Record<string, number>>;
    readonly feature_flags: readonly string[];
    readonly broker?: unknown;
  };
  readonly profiling: {
    readonly enabled: boolean;
    readonly port: number;
    readonly freq: number;
    readonly names: readonly string[];
  };
  readonly plugins: readonly PluginConfig[];
  readonly telemetry: TelemetryConfig;
  readonly health_checks: HealthChecksConfig;
}
