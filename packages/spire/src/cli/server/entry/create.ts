/** `spire-server entry create` (reference §3.4; bug-cases-2 D01, D02, D04, D05). */
import { create } from '@bufbuild/protobuf';
import {
  BatchCreateEntryResponseSchema,
  Entry as EntryService,
} from '../../../gen/spire/api/server/entry/v1/entry_pb.js';
import type { Entry } from '../../../gen/spire/api/types/entry_pb.js';
import { adminCommand, printJson, type VerbContext } from '../client.js';
import { readInput } from '../input.js';
import { failIfAny, fillFailedEntries, printBatch } from './batch.js';
import { entryFromFlags, validateCreate } from './build.js';
import { parseEntryData } from './data-file.js';
import { CREATE_FLAGS } from './flags.js';

/**
 * The entries a create or update sends: those of the `-data` file (every other flag ignored, as
 * in SPIRE), or the one the flags describe after `validate` accepted them.
 */
export async function entriesToSend(
  { flags, io }: VerbContext,
  given: ReadonlySet<string>,
  validate: (flags: VerbContext['flags']) => void,
): Promise<Entry[]> {
  const data = String(flags.data);
  if (data !== '') return parseEntryData(await readInput(io, data));
  validate(flags);
  return [entryFromFlags(flags, given)];
}

/** `entry create`: creates the entries and prints them, or why they were refused (exit 1). */
export const entryCreateCommand = adminCommand(
  'entry create',
  'Creates registration entries',
  CREATE_FLAGS,
  async (v) => {
    const entries = await entriesToSend(v, v.given, validateCreate);
    const res = await v.server.client(EntryService).batchCreateEntry({ entries });
    fillFailedEntries(res.results, entries);
    if (v.json) {
      printJson(v.io, BatchCreateEntryResponseSchema, create(BatchCreateEntryResponseSchema, res));
      return failIfAny('create', res.results);
    }
    printBatch(v, 'create', res.results);
  },
);
