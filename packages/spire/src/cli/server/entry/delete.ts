/** `spire-server entry delete` (reference §3.4; bug-cases-2 D03). */
import {
  BatchDeleteEntryResponseSchema,
  Entry as EntryService,
} from '../../../gen/spire/api/server/entry/v1/entry_pb.js';
import { adminCommand, CliError, printJson, type VerbContext } from '../client.js';
import { readInput } from '../input.js';
import { goCodeName, goQuote } from '../status-text.js';

/**
 * `entry delete -entryID ID` or `-file ids.json` (`{"ids": [...]}`, key matched ignoring case).
 * Prints SPIRE's lines, summary included; like SPIRE the summary has no newline after it.
 */
export const entryDeleteCommand = adminCommand(
  'entry delete',
  'Deletes registration entries',
  [
    {
      name: 'entryID',
      kind: 'string',
      usage: 'The Registration Entry ID of the record to delete.',
      default: '',
    },
    {
      name: 'file',
      kind: 'string',
      usage:
        "Path to a file containing a JSON structure for batch deletion (optional). If set to '-', read from stdin.",
      default: '',
    },
  ],
  async (v) => {
    const ids = await idsToDelete(v);
    const res = await v.server.client(EntryService).batchDeleteEntry({ ids });
    if (v.json) {
      printJson(v.io, BatchDeleteEntryResponseSchema, res);
      if (res.results.some((r) => (r.status?.code ?? 0) !== 0)) {
        throw new CliError('failed to delete one or more entries');
      }
      return;
    }
    printDeleted(v, res.results);
  },
);

async function idsToDelete({ flags, io }: VerbContext): Promise<string[]> {
  const file = String(flags.file);
  if (file === '') {
    if (flags.entryID === '') throw new CliError('an entry ID is required');
    return [String(flags.entryID)];
  }
  let doc: unknown;
  try {
    doc = JSON.parse((await readInput(io, file)).toString('utf8'));
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(`invalid JSON in -file: ${(err as Error).message}`);
  }
  return idsOf(doc);
}

// Go's encoding/json into BatchDeleteEntryRequest: `ids` matched ignoring case.
function idsOf(doc: unknown): string[] {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new CliError(
      'json: cannot unmarshal into Go value of type entryv1.BatchDeleteEntryRequest',
    );
  }
  const key = Object.keys(doc).findLast((k) => k.toLowerCase() === 'ids');
  const ids = key === undefined ? [] : (doc as Record<string, unknown>)[key];
  if (ids === null) return [];
  if (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string')) {
    throw new CliError(
      'json: cannot unmarshal into Go struct field BatchDeleteEntryRequest.ids of type []string',
    );
  }
  return ids as string[];
}

function printDeleted(
  { io }: VerbContext,
  results: readonly { id: string; status?: { code: number; message: string } | undefined }[],
): void {
  const ok = results.filter((r) => (r.status?.code ?? 0) === 0);
  const failed = results.filter((r) => (r.status?.code ?? 0) !== 0);
  for (const r of ok) io.stdout.write(`Deleted entry with ID: ${r.id}\n`);
  if (ok.length > 0) io.stdout.write('\n\n');
  for (const r of failed) {
    const code = goCodeName(r.status?.code ?? 0);
    io.stderr.write(
      `Failed to delete entry with ID ${r.id} (code: ${code}, msg: ${goQuote(r.status?.message ?? '')})\n`,
    );
  }
  if (failed.length === 0) {
    io.stdout.write(`Deleted ${ok.length} entries successfully`);
    return;
  }
  io.stdout.write('\n\n');
  io.stdout.write(
    ok.length === 0
      ? `Failed to delete ${failed.length} entries`
      : `Deleted ${ok.length} entries successfully, but failed to delete ${failed.length} entries`,
  );
  throw new CliError('failed to delete one or more entries');
}
