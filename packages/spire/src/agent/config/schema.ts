import { z } from 'zod';
import {
  block,
  bool,
  durationMs,
  int,
  oneOf,
  port,
  raw,
  str,
  strList,
} from '../../common/config/schema.js';
import { healthChecksSchema, telemetrySchema } from '../../common/config/sections.js';
import { LOG_FORMATS, LOG_LEVELS } from '../../common/log/level.js';

const logLevel = () =>
  oneOf([...LOG_LEVELS, 'warning'] as const, true).transform((l) => (l === 'warning' ? 'warn' : l));

const rateLimit = block({
  fetch_x509_svid: int().optional(),
  fetch_jwt_svid: int().optional(),
  fetch_x509_bundles: int().optional(),
  fetch_jwt_bundles: int().optional(),
  stream_secrets: int().optional(),
  fetch_secrets: int().optional(),
});

const experimental = block({
  sync_interval: durationMs().optional(),
  jwt_svid_cache_hit_timeout: durationMs().optional(),
  named_pipe_name: str().optional(),
  admin_named_pipe_name: str().optional(),
  use_sync_authorized_entries: bool().optional(),
  require_pq_kem: bool().optional(),
  ratelimit: rateLimit.optional(),
  broker: raw().optional(),
  feature_flags: strList().optional(),
});

/** The `agent { }` block as written (every key optional; defaults come later). */
export const agentBlockSchema = block({
  admin_socket_path: str().optional(),
  allow_unauthenticated_verifiers: bool().optional(),
  allowed_foreign_jwt_claims: strList().optional(),
  authorized_delegates: strList().optional(),
  availability_target: durationMs().optional(),
  data_dir: str().optional(),
  disable_sds_api: bool().optional(),
  disable_workload_api: bool().optional(),
  experimental: experimental.optional(),
  insecure_bootstrap: bool().optional(),
  join_token: str().optional(),
  join_token_file: str().optional(),
  jwt_svid_cache_max_size: int().optional(),
  log_file: str().optional(),
  log_format: oneOf(LOG_FORMATS, true).optional(),
  log_level: logLevel().optional(),
  log_selectors: strList().optional(),
  log_source_location: bool().optional(),
  profiling_enabled: bool().optional(),
  profiling_freq: int().optional(),
  profiling_names: strList().optional(),
  profiling_port: port().optional(),
  rebootstrap_delay: durationMs().optional(),
  rebootstrap_mode: oneOf(['never', 'auto', 'always']).optional(),
  sds: block({
    default_svid_name: str().optional(),
    default_bundle_name: str().optional(),
    default_all_bundles_name: str().optional(),
    disable_spiffe_cert_validation: bool().optional(),
  }).optional(),
  server_address: str().optional(),
  server_port: port().optional(),
  socket_path: str().optional(),
  trust_bundle_format: oneOf(['pem', 'spiffe']).optional(),
  trust_bundle_path: str().optional(),
  trust_bundle_spiffe_workload_api: str().optional(),
  trust_bundle_unix_socket: str().optional(),
  trust_bundle_url: str().optional(),
  trust_domain: str().optional(),
  workload_x509_svid_key_type: oneOf(['rsa-2048', 'ec-p256', 'ec-p384']).optional(),
  x509_svid_cache_max_size: int().optional(),
});

/** A whole agent configuration file. */
export const agentFileSchema = z.strictObject({
  agent: agentBlockSchema.optional(),
  plugins: raw().optional(),
  telemetry: telemetrySchema.optional(),
  health_checks: healthChecksSchema.optional(),
});

/** The agent file as validated by {@link agentFileSchema}. */
export type AgentFile = z.infer<typeof agentFileSchema>;
