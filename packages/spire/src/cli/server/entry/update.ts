/**
 * `spire-server entry update`: a full replacement of the entry, not a patch (bug-cases-2 D07):
 * every flag left out is reset. Only the additional attributes are merged with the stored entry,
 * and only when one of their flags is given, as SPIRE does.
 */
import { create } from '@bufbuild/protobuf';
import {
  BatchUpdateEntryResponseSchema,
  Entry as EntryService,
} from '../../../gen/spire/api/server/entry/v1/entry_pb.js';
import type { Entry } from '../../../gen/spire/api/types/entry_pb.js';
import { adminCommand, CliError, errorText, printJson, type VerbContext } from '../client.js';
import { failIfAny, fillFailedEntries, printBatch } from './batch.js';
import { validateUpdate } from './build.js';
import { entriesToSend } from './create.js';
import { UPDATE_FLAGS } from './flags.js';

const ATTRIBUTE_FLAGS = ['disableX509SVIDPrefetch', 'jwtSVIDIncludeJTI'] as const;

/** `entry update`: replaces the entries and prints them, or why they were refused (exit 1). */
export const entryUpdateCommand = adminCommand(
  'entry update',
  'Updates registration entries',
  UPDATE_FLAGS,
  async (v) => {
    const entries = await entriesToSend(v, v.given, validateUpdate);
    const [first] = entries;
    if (String(v.flags.data) === '' && first && ATTRIBUTE_FLAGS.some((f) => v.given.has(f))) {
      await mergeAttributes(v, first);
    }
    const res = await v.server.client(EntryService).batchUpdateEntry({ entries });
    fillFailedEntries(res.results, entries);
    if (v.json) {
      printJson(v.io, BatchUpdateEntryResponseSchema, create(BatchUpdateEntryResponseSchema, res));
      return failIfAny('update', res.results);
    }
    printBatch(v, 'update', res.results);
  },
);

// Keeps the stored attribute the command line did not name.
async function mergeAttributes(v: VerbContext, entry: Entry): Promise<void> {
  const existing = await v.server
    .client(EntryService)
    .getEntry({ id: entry.id })
    .catch((err: unknown) => {
      throw new CliError(
        `failed to fetch existing entry to merge additional attributes: ${errorText(err)}`,
      );
    });
  const stored = existing.additionalAttributes;
  const wanted = entry.additionalAttributes;
  entry.additionalAttributes = {
    $typeName: 'spire.api.types.Entry.AdditionalAttributes',
    disableX509SvidPrefetch: v.given.has('disableX509SVIDPrefetch')
      ? (wanted?.disableX509SvidPrefetch ?? false)
      : (stored?.disableX509SvidPrefetch ?? false),
    jwtSvidIncludeJti: v.given.has('jwtSVIDIncludeJTI')
      ? (wanted?.jwtSvidIncludeJti ?? false)
      : (stored?.jwtSvidIncludeJti ?? false),
  };
}
