/**
 * Caller-chosen registration entry IDs (BatchCreateEntry with `id` set). SPIRE's datastore
 * refuses an ID over 255 characters ("entry ID too long") and any character outside ASCII
 * letters, digits, '-', '.' and '_' ("entry ID contains invalid characters"): an ID is printed
 * by `entry show`, written to logs and sent to every agent, where a newline or escape sequence
 * forges output lines.
 */
import { Code } from '@connectrpc/connect';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Entry } from '../../src/gen/spire/api/server/entry/v1/entry_pb.js';
import { createEntryService } from '../../src/server/api/entry/index.js';
import { type ServerHarness, startServerHarness } from '../support/server-harness.js';

let h: ServerHarness;
beforeAll(async () => {
  h = await startServerHarness({ services: (ctx) => [[Entry, createEntryService(ctx)]] });
});
afterAll(async () => h?.close());
beforeEach(async () => {
  const { items } = await h.datastore.listEntries();
  for (const e of items) await h.datastore.deleteEntry(e.id);
});

const withId = (id: string) => ({
  id,
  spiffeId: { trustDomain: 'example.org', path: '/web' },
  parentId: { trustDomain: 'example.org', path: '/node' },
  selectors: [{ type: 'unix', value: 'uid:1000' }],
});

const INVALID_CHARS =
  'failed to convert entry: invalid entry ID: use only ASCII letters, digits, "-", "." and "_"';

describe('BatchCreateEntry: caller-chosen entry IDs', () => {
  const refused: [string, string, string][] = [
    ['a newline (forged output line)', 'a\nEntry ID : forged', INVALID_CHARS],
    ['a terminal escape sequence', 'a\u001b[2Jb', INVALID_CHARS],
    ['a space', 'a b', INVALID_CHARS],
    ['a slash (path-like)', '../../etc', INVALID_CHARS],
    ['non-ASCII letters', 'éntry😊', INVALID_CHARS],
    [
      '256 characters',
      'e'.repeat(256),
      'failed to convert entry: invalid entry ID: longer than 255 characters',
    ],
  ];
  it.each(refused)(
    'an ID with %s is InvalidArgument and nothing is stored',
    async (_n, id, message) => {
      const res = await h.local(Entry).batchCreateEntry({ entries: [withId(id)] });

      expect(res.results[0]?.status).toEqual(
        expect.objectContaining({ code: Code.InvalidArgument, message }),
      );
      expect(await h.datastore.countEntries()).toBe(0);
    },
  );

  it.each([
    ['a UUID', '2f9a7c1e-8b3d-4e6f-9a0b-1c2d3e4f5a6b'],
    ['letters, digits, "-", "." and "_"', 'My_entry-1.v2'],
    ['255 characters', 'e'.repeat(255)],
  ])('an ID of %s is kept as given', async (_n, id) => {
    const res = await h.local(Entry).batchCreateEntry({ entries: [withId(id)] });

    expect(res.results[0]?.status?.code).toBe(0);
    expect(res.results[0]?.entry?.id).toBe(id);
  });
});
