/**
 * The server's health: it is live and ready when its datastore answers and its CA has an active
 * X.509 authority. Shared by grpc.health.v1 (what `spire-server healthcheck` asks) and the
 * `health_checks` HTTP listener.
 */
import type { ServerContext } from '../context.js';

/** The outcome of one health check. */
export interface HealthReport {
  readonly healthy: boolean;
  /** What failed, for logs and `-verbose`; empty when healthy. */
  readonly problems: readonly string[];
}

/** Runs the checks: the datastore answers a query, and an X.509 CA is active. */
export async function checkHealth(
  ctx: Pick<ServerContext, 'datastore' | 'ca'>,
): Promise<HealthReport> {
  const problems: string[] = [];
  try {
    await ctx.datastore.countBundles();
  } catch (err) {
    problems.push(`datastore is unavailable: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!ctx.ca.activeX509()) problems.push('ca has no active x509 authority');
  return { healthy: problems.length === 0, problems };
}
