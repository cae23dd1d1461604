import type { PluginConfig } from '../../common/config/plugins.js';
import type { HealthChecksConfig, TelemetryConfig } from '../../common/config/sections.js';
import type { LogFormat, LogLevel } from '../../common/log/level.js';

/** A key type for CA, JWT and WIT signing keys. */
export type ServerKeyType = 'rsa-2048' | 'rsa-4096' | 'ec-p256' | 'ec-p384';

/** One `federation.federates_with "<td>" { }` relationship, as written. */
export interface FederatesWithConfig {
  readonly trust_domain: string;
  readonly bundle_endpoint_url: string;
  /** The profile block (`https_web {}` or `https_spiffe { endpoint_spiffe_id = ... }`), plain. */
  readonly bundle_endpoint_profile: unknown;
}

/**
 * The server's configuration after flags, file and defaults are merged and validated. Options
 * keep SPIRE's snake_case names; durations are milliseconds with `_ms` in the name. Frozen.
 */
export interface ServerConfig {
  /** Path of the file it was read from. */
  readonly config_path: string;
  readonly trust_domain: string;
  readonly bind_address: string;
  readonly bind_port: number;
  readonly socket_path: string;
  readonly data_dir: string;
  readonly admin_ids: readonly string[];
  readonly audit_log_enabled: boolean;
  readonly ca_key_type: ServerKeyType;
  readonly jwt_key_type: ServerKeyType;
  readonly ca_subject: {
    readonly country: readonly string[];
    readonly organization: readonly string[];
    readonly common_name: string;
  };
  readonly ca_ttl_ms: number;
  readonly default_x509_svid_ttl_ms: number;
  readonly default_jwt_svid_ttl_ms: number;
  /** Agent SVID lifetime; `default_x509_svid_ttl_ms` when not set. */
  readonly agent_ttl_ms: number;
  readonly disable_jwt_svids: boolean;
  readonly jwt_issuer?: string;
  readonly log_level: LogLevel;
  readonly log_format: LogFormat;
  readonly log_file?: string;
  readonly log_source_location: boolean;
  readonly max_attested_node_info_staleness_ms: number;
  readonly proxy_protocol_trusted_cidrs: readonly string[];
  readonly prune_attested_nodes_expired_for_ms?: number;
  readonly prune_attested_nodes_batch_size: number;
  readonly prune_tofu_nodes: boolean;
  readonly ratelimit: { readonly attestation: boolean; readonly signing: boolean };
  readonly profiling: {
    readonly enabled: boolean;
    readonly port: number;
    readonly freq: number;
    readonly names: readonly string[];
  };
  readonly experimental: {
    readonly agent_spiffe_id_as_selector: boolean;
    readonly cache_reload_interval_ms: number;
    readonly full_cache_reload_interval_ms: number;
    readonly events_based_cache: boolean;
    readonly prune_events_older_than_ms: number;
    readonly event_timeout_ms: number;
    readonly require_pq_kem: boolean;
    readonly wit_key_type: ServerKeyType;
    readonly wit_issuer?: string;
    readonly feature_flags: readonly string[];
    readonly auth_opa_policy_engine?: {
      readonly local?: { readonly rego_path?: string; readonly policy_data_path?: string };
    };
  };
  readonly federation: {
    /** Present when `federation.bundle_endpoint` is configured. */
    readonly bundle_endpoint?: {
      readonly address: string;
      readonly port: number;
      readonly refresh_hint_ms: number;
      readonly acme?: {
        readonly directory_url?: string;
        readonly domain_name: string;
        readonly email: string;
        readonly tos_accepted: boolean;
      };
      readonly profile?: unknown;
    };
    readonly federates_with: readonly FederatesWithConfig[];
  };
  readonly plugins: readonly PluginConfig[];
  readonly telemetry: TelemetryConfig;
  readonly health_checks: HealthChecksConfig;
  /** Problems that do not stop the server but should be logged at start-up. */
  readonly warnings: readonly string[];
}
