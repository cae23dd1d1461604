/** `spire-server entry show` and `entry count` (reference §3.4; bug-cases-2 D06, D08). */
import { create } from '@bufbuild/protobuf';
import {
  CountEntriesResponseSchema,
  Entry as EntryService,
  ListEntriesResponseSchema,
} from '../../../gen/spire/api/server/entry/v1/entry_pb.js';
import type { Entry } from '../../../gen/spire/api/types/entry_pb.js';
import { plural } from '../agent/print.js';
import { adminCommand, CliError, errorText, printJson, type VerbContext } from '../client.js';
import { entryFilter } from './filter.js';
import { filterFlags } from './flags.js';
import { entryBlock, sortEntries } from './print.js';

// What SPIRE's CLI asks for per page, well under the 4 MB message limit (D08).
const PAGE_SIZE = 500;

/**
 * `entry show`: the entry `-entryID` names (alone), or every page of the entries matching the
 * filters, sorted as SPIRE sorts them, as `Found N entries` and one block per entry.
 */
export const entryShowCommand = adminCommand(
  'entry show',
  'Displays configured registration entries',
  filterFlags('show'),
  async (v) => {
    const entries = sortEntries(await fetchEntries(v));
    if (v.json) {
      const res = create(ListEntriesResponseSchema, { entries });
      return printJson(v.io, ListEntriesResponseSchema, res);
    }
    v.io.stdout.write(`Found ${entries.length} ${plural(entries.length, 'entry', 'entries')}\n`);
    for (const e of entries) v.io.stdout.write(entryBlock(e));
  },
);

async function fetchEntries({ flags, server }: VerbContext): Promise<Entry[]> {
  const client = server.client(EntryService);
  const id = String(flags.entryID);
  if (id !== '') {
    const selectors = (flags.selector as readonly string[] | undefined) ?? [];
    if (flags.parentID !== '' || flags.spiffeID !== '' || selectors.length > 0) {
      throw new CliError("the -entryID flag can't be combined with others");
    }
    const entry = await client.getEntry({ id }).catch((err: unknown) => {
      throw new CliError(`error fetching entry ID ${id}: ${errorText(err)}`);
    });
    return [entry];
  }
  const filter = entryFilter(flags);
  const entries: Entry[] = [];
  let pageToken = '';
  do {
    const page = await client
      .listEntries({ filter, pageSize: PAGE_SIZE, pageToken })
      .catch((err: unknown) => {
        throw new CliError(`error fetching entries: ${errorText(err)}`);
      });
    entries.push(...page.entries);
    pageToken = page.nextPageToken;
  } while (pageToken !== '');
  return entries;
}

/** `entry count`: `N registration entries` (`1 registration entry`). */
export const entryCountCommand = adminCommand(
  'entry count',
  'Count registration entries',
  filterFlags('count'),
  async ({ flags, io, json, server }) => {
    const res = await server.client(EntryService).countEntries({ filter: entryFilter(flags) });
    if (json) return printJson(io, CountEntriesResponseSchema, res);
    io.stdout.write(`${res.count} registration ${plural(res.count, 'entry', 'entries')}\n`);
  },
);
