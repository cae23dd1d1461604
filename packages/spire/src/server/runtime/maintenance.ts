/**
 * Periodic data management: expired join tokens and registration entries are deleted, old change
 * events pruned, and authorities that expired more than a day ago dropped from our bundle
 * (reference §3.5, §3.7).
 */
import type { Clock, Timer } from '../../common/clock/index.js';
import { LogField, type SpireLogger } from '../../common/log/index.js';
import type { ServerContext } from '../api/context.js';

/** How often maintenance runs. */
export const MAINTENANCE_INTERVAL_MS = 60_000;
const BUNDLE_GRACE_S = 24 * 3600;

/** Runs one maintenance pass. */
export async function runMaintenance(ctx: ServerContext): Promise<void> {
  const now = Math.floor(ctx.clock.now() / 1000);
  const tokens = await ctx.datastore.pruneJoinTokens(now);
  const entries = await ctx.datastore.pruneEntries(now);
  if (entries.length > 0) await ctx.changed.entries(entries);
  const retainMs = ctx.config.experimental.prune_events_older_than_ms;
  const events = await ctx.datastore.pruneEvents(now - Math.floor(retainMs / 1000));
  const pruned = await ctx.datastore
    .pruneBundle(ctx.trustDomain.name, now - BUNDLE_GRACE_S)
    .catch(() => false);
  if (pruned) await ctx.changed.bundles();
  if (tokens + entries.length + events > 0 || pruned) {
    ctx.log.debug(
      { tokens, entries: entries.length, events, bundle_pruned: pruned },
      'Pruned expired data',
    );
  }
}

/** Starts the maintenance timer; returns it. */
export function startMaintenance(ctx: ServerContext, clock: Clock, log: SpireLogger): Timer {
  return clock.setInterval(MAINTENANCE_INTERVAL_MS, () => {
    runMaintenance(ctx).catch((err: unknown) =>
      log.error({ [LogField.Error]: err }, 'Failed to prune expired data'),
    );
  });
}
