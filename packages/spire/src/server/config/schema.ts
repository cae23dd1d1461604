import { z } from 'zod';
import {
  block,
  bool,
  durationMs,
  int,
  namedBlocks,
  oneOf,
  port,
  raw,
  str,
  strList,
} from '../../common/config/schema.js';
import { healthChecksSchema, telemetrySchema } from '../../common/config/sections.js';
import { LOG_FORMATS, LOG_LEVELS } from '../../common/log/level.js';

/** Key types SPIRE's server accepts for `ca_key_type` and `jwt_key_type`. */
export const SERVER_KEY_TYPES = ['rsa-2048', 'rsa-4096', 'ec-p256', 'ec-p384'] as const;

const logLevel = () =>
  oneOf([...LOG_LEVELS, 'warning'] as const, true).transform((l) => (l === 'warning' ? 'warn' : l));

const experimental = block({
  agent_spiffe_id_as_selector: bool().optional(),
  auth_opa_policy_engine: block({
    local: block({ rego_path: str().optional(), policy_data_path: str().optional() }).optional(),
  }).optional(),
  cache_reload_interval: durationMs().optional(),
  full_cache_reload_interval: durationMs().optional(),
  events_based_cache: bool().optional(),
  prune_events_older_than: durationMs().optional(),
  event_timeout: durationMs().optional(),
  sql_transaction_timeout: durationMs().optional(),
  require_pq_kem: bool().optional(),
  wit_key_type: oneOf(SERVER_KEY_TYPES).optional(),
  wit_issuer: str().optional(),
  feature_flags: strList().optional(),
  named_pipe_name: str().optional(),
});

const acme = block({
  directory_url: str().optional(),
  domain_name: str().optional(),
  email: str().optional(),
  tos_accepted: bool().optional(),
});

const federation = block({
  bundle_endpoint: block({
    address: str().optional(),
    port: port().optional(),
    refresh_hint: durationMs().optional(),
    acme: acme.optional(),
    profile: raw().optional(),
  }).optional(),
  federates_with: namedBlocks(
    z.strictObject({
      bundle_endpoint_url: str().optional(),
      bundle_endpoint_profile: raw().optional(),
    }),
  ).optional(),
});

/** The `server { }` block as written in the file (every key optional; defaults come later). */
export const serverBlockSchema = block({
  admin_ids: strList().optional(),
  agent_ttl: durationMs().optional(),
  audit_log_enabled: bool().optional(),
  bind_address: str().optional(),
  bind_port: port().optional(),
  ca_key_type: oneOf(SERVER_KEY_TYPES).optional(),
  ca_subject: block({
    country: strList().optional(),
    organization: strList().optional(),
    common_name: str().optional(),
  }).optional(),
  ca_ttl: durationMs().optional(),
  data_dir: str().optional(),
  default_x509_svid_ttl: durationMs().optional(),
  default_jwt_svid_ttl: durationMs().optional(),
  disable_jwt_svids: bool().optional(),
  experimental: experimental.optional(),
  federation: federation.optional(),
  jwt_issuer: str().optional(),
  jwt_key_type: oneOf(SERVER_KEY_TYPES).optional(),
  log_file: str().optional(),
  log_format: oneOf(LOG_FORMATS, true).optional(),
  log_level: logLevel().optional(),
  log_source_location: bool().optional(),
  max_attested_node_info_staleness: durationMs().optional(),
  profiling_enabled: bool().optional(),
  profiling_freq: int().optional(),
  profiling_names: strList().optional(),
  profiling_port: port().optional(),
  proxy_protocol_trusted_cidrs: strList().optional(),
  prune_attested_nodes_batch_size: int().optional(),
  prune_attested_nodes_expired_for: durationMs().optional(),
  prune_tofu_nodes: bool().optional(),
  ratelimit: block({ attestation: bool().optional(), signing: bool().optional() }).optional(),
  socket_path: str().optional(),
  trust_domain: str().optional(),
});

/** A whole server configuration file: top-level sections. `plugins` is read separately. */
export const serverFileSchema = z.strictObject({
  server: serverBlockSchema.optional(),
  plugins: raw().optional(),
  telemetry: telemetrySchema.optional(),
  health_checks: healthChecksSchema.optional(),
});

/** The server file as validated by {@link serverFileSchema}. */
export type ServerFile = z.infer<typeof serverFileSchema>;
