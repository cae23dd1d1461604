import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from '../../../common/cli/command.js';
import { describeError } from './client.js';
import { apiCommand } from './command.js';
import { formatX509Response, goElapsed } from './format.js';
import { parseX509Response } from './x509-response.js';

// go-spiffe's watch backoff: 1s, 2s, 3s, ... up to 30s, reset by a good message.
const BACKOFF_STEP_MS = 1_000;
const BACKOFF_MAX_MS = 30_000;

/**
 * `spire-agent api watch`, with the signal that stops it injected (tests pass their own).
 */
export function createApiWatchCommand(stopSignal: () => AbortSignal): Command {
  return apiCommand(
    'api watch',
    "Attaches to the Workload API and prints updates as they're received",
    [],
    async ({ conn, io }) => {
      const stop = stopSignal();
      let last = process.hrtime.bigint();
      let failures = 0;
      while (!stop.aborted) {
        try {
          for await (const resp of conn.api.fetchX509SVID({}, { signal: stop })) {
            const now = process.hrtime.bigint();
            // SPIRE's watcher does not carry hints into what it prints.
            const svids = parseX509Response(resp).map((s) => ({ ...s, hint: '' }));
            io.stdout.write(formatX509Response(svids, goElapsed(now - last)));
            last = now;
            failures = 0;
          }
        } catch (err) {
          if (stop.aborted) break;
          io.stderr.write(`${describeError(err)}\n`);
        }
        failures++;
        const delay = Math.min(failures * BACKOFF_STEP_MS, BACKOFF_MAX_MS);
        await sleep(delay, undefined, { signal: stop }).catch(() => undefined);
      }
    },
  );
}

/**
 * `spire-agent api watch`: prints every FetchX509SVID update as `api fetch x509` prints one, and
 * each stream error on stderr while it retries with backoff, until Ctrl-C (exit 0).
 */
export const apiWatchCommand: Command = createApiWatchCommand(() => {
  const abort = new AbortController();
  process.once('SIGINT', () => abort.abort());
  return abort.signal;
});
