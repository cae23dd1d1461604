/**
 * The outcome of `entry create` / `entry update` (SPIRE's `prettyPrintCreate` / `Update`): each
 * entry that succeeded on stdout; each failure on stderr as `Failed to <verb> the following entry
 * (code: <Code>, msg: "<message>"):` and the entry; any failure makes the verb fail (D01).
 */
import type { Entry } from '../../../gen/spire/api/types/entry_pb.js';
import type { Status } from '../../../gen/spire/api/types/status_pb.js';
import { CliError, type VerbContext } from '../client.js';
import { goCodeName, goQuote } from '../status-text.js';
import { entryBlock } from './print.js';

/** One per-entry result of a batch call. */
export interface EntryResult {
  status?: Status | undefined;
  entry?: Entry | undefined;
}

/**
 * Gives each failed result an entry to print: the one the server returned with the failure (for
 * AlreadyExists, the existing entry with its real ID: D01), otherwise the one that was sent.
 */
export function fillFailedEntries(results: EntryResult[], sent: readonly Entry[]): void {
  results.forEach((r, i) => {
    if ((r.status?.code ?? 0) !== 0 && !r.entry) r.entry = sent[i];
  });
}

/** Prints the results in text form; throws when any failed. */
export function printBatch(
  { io }: Pick<VerbContext, 'io'>,
  verb: 'create' | 'update',
  results: readonly EntryResult[],
): void {
  const failed = results.filter((r) => (r.status?.code ?? 0) !== 0);
  for (const r of results) {
    if ((r.status?.code ?? 0) === 0 && r.entry) io.stdout.write(entryBlock(r.entry));
  }
  for (const r of failed) {
    const code = goCodeName(r.status?.code ?? 0);
    const msg = goQuote(r.status?.message ?? '');
    io.stderr.write(`Failed to ${verb} the following entry (code: ${code}, msg: ${msg}):\n`);
    if (r.entry) io.stderr.write(entryBlock(r.entry));
  }
  failIfAny(verb, results);
}

/** Throws SPIRE's summary error when any result failed (text and JSON output alike). */
export function failIfAny(verb: 'create' | 'update', results: readonly EntryResult[]): void {
  if (results.some((r) => (r.status?.code ?? 0) !== 0)) {
    throw new CliError(`failed to ${verb} one or more entries`);
  }
}
