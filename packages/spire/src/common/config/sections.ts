import { z } from 'zod';
import { block, bool, port, str, strList } from './schema.js';

// Sections shared by the server and the agent: `telemetry { }` and `health_checks { }`.

const list = <T extends z.ZodType>(item: T) =>
  z.preprocess((v) => (Array.isArray(v) ? v : [v]), z.array(item));

const address = z.strictObject({ address: str() });

/** The `telemetry { }` section; key names are SPIRE's (CamelCase, as in its files). */
export const telemetrySchema = block({
  Prometheus: block({
    host: str().optional(),
    port: port().optional(),
    tls: block({
      cert_file: str().optional(),
      key_file: str().optional(),
      client_ca_file: str().optional(),
      use_spire_svid: bool().optional(),
      authorized_spiffe_ids: strList().optional(),
    }).optional(),
  }).optional(),
  DogStatsd: list(address).optional(),
  Statsd: list(address).optional(),
  M3: list(z.strictObject({ address: str(), env: str().optional() })).optional(),
  InMem: block({}).optional(),
  MetricPrefix: str().optional(),
  EnableTrustDomainLabel: bool().optional(),
  EnableHostnameLabel: bool().optional(),
  AllowedPrefixes: strList().optional(),
  BlockedPrefixes: strList().optional(),
  AllowedLabels: strList().optional(),
  BlockedLabels: strList().optional(),
});

/** The validated `telemetry` section, as written (nothing is defaulted). */
export type TelemetryConfig = z.infer<typeof telemetrySchema>;

/** The `health_checks { }` section as written. */
export const healthChecksSchema = block({
  listener_enabled: bool().optional(),
  bind_address: str().optional(),
  bind_port: port().optional(),
  live_path: str().optional(),
  ready_path: str().optional(),
});

/** Health-check listener settings with SPIRE's defaults applied. */
export interface HealthChecksConfig {
  readonly listener_enabled: boolean;
  readonly bind_address: string;
  readonly bind_port: number;
  readonly live_path: string;
  readonly ready_path: string;
}

/** Applies SPIRE's health-check defaults: off, `localhost:80`, `/live`, `/ready`. */
export function healthChecksWithDefaults(
  h: z.infer<typeof healthChecksSchema> | undefined,
): HealthChecksConfig {
  return {
    listener_enabled: h?.listener_enabled ?? false,
    bind_address: h?.bind_address || 'localhost',
    bind_port: h?.bind_port || 80,
    live_path: h?.live_path || '/live',
    ready_path: h?.ready_path || '/ready',
  };
}
