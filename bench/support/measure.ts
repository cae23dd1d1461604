import { performance } from 'node:perf_hooks';

/** Result of a throughput measurement. */
export interface Rate {
  name: string;
  opsPerSec: number;
  iterations: number;
  seconds: number;
}

/**
 * Runs `fn` repeatedly for about `seconds` (after a short warm-up) and returns operations per
 * second. `fn` may be async; it is awaited one call at a time.
 */
export async function measureRate(name: string, fn: () => unknown, seconds = 2): Promise<Rate> {
  const warmUntil = performance.now() + 300;
  while (performance.now() < warmUntil) await fn();
  const start = performance.now();
  const end = start + seconds * 1000;
  let iterations = 0;
  while (performance.now() < end) {
    await fn();
    iterations++;
  }
  const elapsed = (performance.now() - start) / 1000;
  return { name, opsPerSec: iterations / elapsed, iterations, seconds: elapsed };
}

/** Percentile (0-100) of a list of numbers, by nearest rank. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

/** Prints rates as a table, each with its ratio to the first (the baseline). */
export function printRates(rates: Rate[]): void {
  const base = rates[0];
  for (const r of rates) {
    const ratio = base ? r.opsPerSec / base.opsPerSec : 1;
    console.log(
      `${r.name.padEnd(48)} ${r.opsPerSec.toFixed(0).padStart(10)} ops/s  ratio ${ratio.toFixed(3)}`,
    );
  }
}
