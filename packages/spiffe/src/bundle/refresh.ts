/** Refresh interval used when a bundle carries no `spiffe_refresh_hint` (Bundle §6.1: about 5 minutes). */
export const DEFAULT_REFRESH_INTERVAL_SECONDS = 300;

/** Shortest refresh interval we honour: SPIRE's floor, so a hint of 0 cannot cause a busy loop. */
export const MIN_REFRESH_INTERVAL_SECONDS = 60;

/**
 * Longest refresh interval we honour. A hint longer than the publisher's key rotation makes
 * consumers miss new keys (bug case C30), so an hour is the ceiling whatever the hint says.
 */
export const MAX_REFRESH_INTERVAL_SECONDS = 3600;

/**
 * The interval, in seconds, at which to fetch a bundle again given its `spiffe_refresh_hint`:
 * the default when there is none, otherwise the hint clamped to [60 s, 1 h]. The hint is only
 * a hint (Bundle §4.1.2); this is where absurd values are tamed.
 */
export function refreshIntervalSeconds(refreshHintSeconds: number | undefined): number {
  if (refreshHintSeconds === undefined || !Number.isFinite(refreshHintSeconds)) {
    return DEFAULT_REFRESH_INTERVAL_SECONDS;
  }
  return Math.min(
    MAX_REFRESH_INTERVAL_SECONDS,
    Math.max(MIN_REFRESH_INTERVAL_SECONDS, refreshHintSeconds),
  );
}
