import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { entryCreateCommand } from '../../src/cli/server/entry/create.js';
import { entryDeleteCommand } from '../../src/cli/server/entry/delete.js';
import { entryCountCommand, entryShowCommand } from '../../src/cli/server/entry/show.js';
import { entryUpdateCommand } from '../../src/cli/server/entry/update.js';
import { Entry } from '../../src/gen/spire/api/server/entry/v1/entry_pb.js';
import { createEntryService } from '../../src/server/api/entry/service.js';
import { type ServerHarness, startServerHarness } from '../support/server-harness.js';
import { runVerb } from './support/run-verb.js';

let h: ServerHarness;
beforeEach(async () => {
  h = await startServerHarness({ services: (ctx) => [[Entry, createEntryService(ctx)]] });
});
afterEach(() => h.close());

const AGENT = 'spiffe://example.org/myagent';
const SERVICE = 'spiffe://example.org/myservice';
const create = (...args: string[]) => runVerb(h, entryCreateCommand, args);
const show = (...args: string[]) => runVerb(h, entryShowCommand, args);

/** SPIRE's entry block: labels padded to 24, then `: `. */
function block(lines: [string, string | number][]): string {
  return `${lines.map(([l, v]) => `${l.padEnd(24)}: ${v}\n`).join('')}\n`;
}

async function revisionOf(id: string): Promise<number> {
  return (await h.datastore.fetchEntry(id))?.revisionNumber ?? -1;
}

describe('spire-server entry create', () => {
  it('prints the created entry with default TTLs (bug-cases-2 D04) and one Selector line each', async () => {
    const out = await create(
      '-entryID',
      'e1',
      '-parentID',
      AGENT,
      '-spiffeID',
      SERVICE,
      '-selector',
      'unix:uid:1000',
      '-selector',
      'unix:gid:1000',
      '-dns',
      'a.example.org',
      '-hint',
      'h1',
      '-admin',
      '-storeSVID',
    );
    expect(out).toEqual({
      code: 0,
      stderr: '',
      stdout: block([
        ['Entry ID', 'e1'],
        ['SPIFFE ID', SERVICE],
        ['Parent ID', AGENT],
        ['Revision', await revisionOf('e1')],
        ['X509-SVID TTL', 'default'],
        ['JWT-SVID TTL', 'default'],
        ['Selector', 'unix:gid:1000'],
        ['Selector', 'unix:uid:1000'],
        ['DNS name', 'a.example.org'],
        ['Admin', 'true'],
        ['StoreSvid', 'true'],
        ['Hint', 'h1'],
      ]),
    });
    const stored = await h.datastore.fetchEntry('e1');
    expect([stored?.x509SvidTtl, stored?.jwtSvidTtl]).toEqual([0, 0]);
  });

  it('shows -entryExpiry as "Expiration time" in UTC (bug-cases-2 D02), TTLs in seconds', async () => {
    const out = await create(
      '-entryID',
      'e2',
      '-parentID',
      AGENT,
      '-spiffeID',
      SERVICE,
      '-selector',
      'unix:uid:1000',
      '-entryExpiry',
      '1893456000',
      '-x509SVIDTTL',
      '0x3c',
      '-jwtSVIDTTL',
      '010',
      '-downstream',
    );
    expect(out.code).toBe(0);
    expect(out.stdout).toContain(
      `Revision                : ${await revisionOf('e2')}\n` +
        'Downstream              : true\n' +
        'X509-SVID TTL           : 60\n' +
        'JWT-SVID TTL            : 8\n' +
        'Expiration time         : 2030-01-01 00:00:00 +0000 UTC\n' +
        'Selector                : unix:uid:1000\n',
    );
  });

  it('-node makes the parent spiffe://<td>/spire/server', async () => {
    const out = await create(
      '-node',
      '-spiffeID',
      'spiffe://example.org/nodes',
      '-selector',
      'x:y',
    );
    expect(out.code).toBe(0);
    expect(out.stdout).toContain('Parent ID               : spiffe://example.org/spire/server\n');
  });

  it('a duplicate exits 1 and prints the existing entry on stderr (bug-cases-2 D01)', async () => {
    await create(
      '-entryID',
      'first',
      '-parentID',
      AGENT,
      '-spiffeID',
      SERVICE,
      '-selector',
      'unix:uid:1000',
    );
    const out = await create(
      '-parentID',
      AGENT,
      '-spiffeID',
      SERVICE,
      '-selector',
      'unix:uid:1000',
    );
    expect(out.code).toBe(1);
    expect(out.stdout).toBe('');
    expect(out.stderr).toBe(
      'Failed to create the following entry (code: AlreadyExists, msg: "similar entry already exists"):\n' +
        block([
          ['Entry ID', 'first'],
          ['SPIFFE ID', SERVICE],
          ['Parent ID', AGENT],
          ['Revision', await revisionOf('first')],
          ['X509-SVID TTL', 'default'],
          ['JWT-SVID TTL', 'default'],
          ['Selector', 'unix:uid:1000'],
        ]) +
        'Error: failed to create one or more entries\n',
    );
  });

  it('-data: good entries created, a bad one reported with its code, exit 1; JSON too (D01, D02)', async () => {
    const data = {
      entries: [
        {
          spiffe_id: SERVICE,
          Parent_ID: AGENT,
          selectors: [{ type: 'unix', value: 'uid:1' }],
          entryExpiry: 1893456000,
          unknown: 1,
        },
        {
          spiffe_id: 'spiffe://example.org/b',
          parent_id: AGENT,
          selectors: [],
          expires_at: 1893456000,
        },
      ],
    };
    const out = await runVerb(h, entryCreateCommand, ['-data', '-'], JSON.stringify(data));
    expect(out.code).toBe(1);
    expect(out.stdout).toMatch(
      /^Entry ID {16}: \S+\nSPIFFE ID {15}: spiffe:\/\/example.org\/myservice\n/,
    );
    expect(out.stdout).toContain('Expiration time         : 2030-01-01 00:00:00 +0000 UTC\n');
    expect(out.stderr).toMatch(
      /^Failed to create the following entry \(code: InvalidArgument, msg: "[^"]*selector[^"]*"\):\nEntry ID {16}: \(none\)\nSPIFFE ID {15}: spiffe:\/\/example.org\/b\n/,
    );
    // `expires_at` is not a -data key: the entry would have had no expiry.
    expect(out.stderr).not.toContain('Expiration time');
    expect(out.stderr.endsWith('Error: failed to create one or more entries\n')).toBe(true);

    const again = await runVerb(
      h,
      entryCreateCommand,
      ['-data', '-', '-output', 'json'],
      JSON.stringify(data),
    );
    expect(again.code).toBe(1);
    const codes = JSON.parse(again.stdout).results.map(
      (r: { status: { code: number } }) => r.status.code,
    );
    expect(codes).toEqual([6, 3]);
  });

  it('-federatesWith a trust domain without a bundle is refused (bug-cases-2 D05)', async () => {
    const out = await create(
      '-parentID',
      AGENT,
      '-spiffeID',
      SERVICE,
      '-selector',
      'unix:uid:1000',
      '-federatesWith',
      'spiffe://other.org',
    );
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(
      // D05 quotes the ID as "spiffe://other.org"; the datastore names it "other.org" (reported).
      /^Failed to create the following entry \(code: Internal, msg: ".*unable to find federated bundle \\"(spiffe:\/\/)?other.org\\""\):\n/,
    );
    expect(await h.datastore.countEntries()).toBe(0);
  });

  it.each([
    [['-spiffeID', SERVICE, '-parentID', AGENT], 'Error: at least one selector is required\n'],
    [
      ['-spiffeID', SERVICE, '-selector', 'a:b'],
      'Error: a parent ID is required if the node flag is not set\n',
    ],
    [['-parentID', AGENT, '-selector', 'a:b'], 'Error: a SPIFFE ID is required\n'],
    [
      ['-node', '-spiffeID', SERVICE, '-selector', 'a:b', '-federatesWith', 'spiffe://o.org'],
      'Error: node entries can not federate\n',
    ],
    [
      ['-parentID', AGENT, '-spiffeID', SERVICE, '-selector', 'a:b', '-x509SVIDTTL', '-1'],
      'Error: a positive x509-SVID TTL is required\n',
    ],
    [
      ['-parentID', AGENT, '-spiffeID', SERVICE, '-selector', 'nocolon'],
      'Error: selector "nocolon" must be formatted as type:value\n',
    ],
    [
      ['-parentID', AGENT, '-spiffeID', 'myservice', '-selector', 'a:b'],
      'Error: spiffe id scheme is missing or invalid: it must start with spiffe://\n',
    ],
    [['-data', 'missing.json'], 'Error: open missing.json: no such file or directory\n'],
  ])('refuses %j before calling the server', async (args, stderr) => {
    expect(await create(...args)).toEqual({ code: 1, stdout: '', stderr });
  });

  it.each([
    ['-spiffeId', 'flag provided but not defined: -spiffeId\n'],
    ['-x509SVIDTTL=60s', 'invalid value "60s" for flag -x509SVIDTTL: parse error\n'],
  ])('a bad flag %s exits 1 naming the flag, then the usage', async (arg, first) => {
    const out = await create(arg);
    expect(out.code).toBe(1);
    expect(out.stderr.startsWith(`${first}Usage of entry create:\n`)).toBe(true);
  });

  it('a -data value of the wrong JSON type names the field as Go does', async () => {
    writeFileSync(join(h.dir, 'bad.json'), '{"entries":[{"x509_svid_ttl":"60"}]}');
    expect(await create('-data', 'bad.json')).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'Error: json: cannot unmarshal string into Go struct field RegistrationEntries.entries.x509_svid_ttl of type int32\n',
    });
  });
});

describe('spire-server entry show / count (bug-cases-2 D06, D08)', () => {
  beforeEach(async () => {
    await create(
      '-entryID',
      'A',
      '-parentID',
      AGENT,
      '-spiffeID',
      'spiffe://example.org/a',
      '-selector',
      'unix:uid:1000',
    );
    await create(
      '-entryID',
      'B',
      '-parentID',
      AGENT,
      '-spiffeID',
      'spiffe://example.org/b',
      '-selector',
      'unix:uid:1000',
      '-selector',
      'unix:gid:1000',
    );
    await create(
      '-entryID',
      'C',
      '-parentID',
      AGENT,
      '-spiffeID',
      'spiffe://example.org/c',
      '-selector',
      'unix:gid:1000',
    );
  });
  const ids = (stdout: string) => [...stdout.matchAll(/^Entry ID {16}: (\S+)$/gm)].map((m) => m[1]);

  it.each([
    [
      ['-selector', 'unix:uid:1000'],
      ['A', 'B'],
    ],
    [['-selector', 'unix:uid:1000', '-matchSelectorsOn', 'exact'], ['A']],
    [
      ['-selector', 'unix:uid:1000', '-selector', 'unix:gid:1000', '-matchSelectorsOn', 'subset'],
      ['A', 'B', 'C'],
    ],
    [
      ['-selector', 'unix:uid:1000', '-selector', 'unix:gid:1000', '-matchSelectorsOn', 'any'],
      ['A', 'B', 'C'],
    ],
    [['-spiffeID', 'spiffe://example.org/c'], ['C']],
    [
      ['-parentID', AGENT],
      ['A', 'B', 'C'],
    ],
  ])('show %j finds %j (default match: superset)', async (args, want) => {
    const out = await show(...args);
    expect(out.code).toBe(0);
    expect(
      out.stdout.startsWith(`Found ${want.length} ${want.length === 1 ? 'entry' : 'entries'}\n`),
    ).toBe(true);
    expect(ids(out.stdout)).toEqual(want);
  });

  it("sorts by SPIFFE ID and each entry's selectors by type then value", async () => {
    await create(
      '-entryID',
      'Z',
      '-parentID',
      AGENT,
      '-spiffeID',
      'spiffe://example.org/0',
      '-selector',
      'z:1',
      '-selector',
      'a:2',
    );
    const out = await show();
    expect(ids(out.stdout)).toEqual(['Z', 'A', 'B', 'C']);
    expect(out.stdout).toContain('Selector                : a:2\nSelector                : z:1\n');
    expect(out.stdout).toContain(
      'Selector                : unix:gid:1000\nSelector                : unix:uid:1000\n',
    );
  });

  it('-entryID shows one entry, alone; a missing one is NotFound', async () => {
    expect(ids((await show('-entryID', 'B')).stdout)).toEqual(['B']);
    expect(await show('-entryID', 'B', '-spiffeID', SERVICE)).toEqual({
      code: 1,
      stdout: '',
      stderr: "Error: the -entryID flag can't be combined with others\n",
    });
    expect(await show('-entryID', 'nope')).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'Error: error fetching entry ID nope: rpc error: code = NotFound desc = entry not found\n',
    });
  });

  it('refuses an unknown match mode', async () => {
    expect(await show('-selector', 'a:b', '-matchSelectorsOn', 'x')).toEqual({
      code: 1,
      stdout: '',
      stderr: 'Error: match behavior "x" unknown\n',
    });
  });

  it('count prints "N registration entries" / "1 registration entry"', async () => {
    expect((await runVerb(h, entryCountCommand, [])).stdout).toBe('3 registration entries\n');
    expect(
      (
        await runVerb(h, entryCountCommand, [
          '-selector',
          'unix:gid:1000',
          '-matchSelectorsOn',
          'exact',
        ])
      ).stdout,
    ).toBe('1 registration entry\n');
  });

  it('-output json lists entries with proto field names, expires_at as a string', async () => {
    const json = JSON.parse((await show('-entryID', 'A', '-output', 'json')).stdout);
    expect(json.next_page_token).toBe('');
    expect(json.entries[0]).toMatchObject({
      id: 'A',
      expires_at: '0',
      x509_svid_ttl: 0,
      spiffe_id: { trust_domain: 'example.org', path: '/a' },
    });
  });

  it('pages through more entries than one page holds, each once (D08)', async () => {
    const entries = Array.from({ length: 1001 }, (_, i) => ({
      spiffe_id: `spiffe://example.org/p/${String(i).padStart(4, '0')}`,
      parent_id: AGENT,
      selectors: [{ type: 'k', value: String(i) }],
    }));
    expect(
      (
        await runVerb(
          h,
          entryCreateCommand,
          ['-data', '-', '-output', 'json'],
          JSON.stringify({ entries }),
        )
      ).code,
    ).toBe(0);
    const out = await show('-selector', 'k:0', '-matchSelectorsOn', 'any');
    expect(out.stdout.startsWith('Found 1 entry\n')).toBe(true);
    const all = await show('-output', 'json');
    expect(JSON.parse(all.stdout).entries).toHaveLength(1004);
    expect((await runVerb(h, entryCountCommand, [])).stdout).toBe('1004 registration entries\n');
  }, 60_000);
});

describe('spire-server entry update / delete (bug-cases-2 D03, D07)', () => {
  it('update replaces every field: flags left out are reset', async () => {
    await create(
      '-entryID',
      'u',
      '-parentID',
      AGENT,
      '-spiffeID',
      SERVICE,
      '-selector',
      'unix:uid:1',
      '-dns',
      'a.example.org',
      '-hint',
      'h',
      '-admin',
    );
    const before = await revisionOf('u');
    const out = await runVerb(h, entryUpdateCommand, [
      '-entryID',
      'u',
      '-parentID',
      AGENT,
      '-spiffeID',
      SERVICE,
      '-selector',
      'unix:uid:2',
      '-dns',
      'b.example.org',
    ]);
    expect(out).toEqual({
      code: 0,
      stderr: '',
      stdout: block([
        ['Entry ID', 'u'],
        ['SPIFFE ID', SERVICE],
        ['Parent ID', AGENT],
        ['Revision', before + 1],
        ['X509-SVID TTL', 'default'],
        ['JWT-SVID TTL', 'default'],
        ['Selector', 'unix:uid:2'],
        ['DNS name', 'b.example.org'],
      ]),
    });
  });

  it.each([
    [
      ['-parentID', AGENT, '-spiffeID', SERVICE, '-selector', 'a:b'],
      'Error: entry ID is required\n',
    ],
    [
      ['-entryID', 'u', '-spiffeID', SERVICE, '-selector', 'a:b'],
      'Error: a parent ID is required\n',
    ],
  ])('update refuses %j', async (args, stderr) => {
    expect(await runVerb(h, entryUpdateCommand, args)).toEqual({ code: 1, stdout: '', stderr });
  });

  it('update of a missing entry exits 1 with NotFound', async () => {
    const out = await runVerb(h, entryUpdateCommand, [
      '-entryID',
      'nope',
      '-parentID',
      AGENT,
      '-spiffeID',
      SERVICE,
      '-selector',
      'a:b',
    ]);
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(
      /^Failed to update the following entry \(code: NotFound, msg: "entry not found"\):\nEntry ID {16}: nope\n/,
    );
  });

  it("delete prints SPIRE's lines and summary; a mixed -file exits 1 (D03)", async () => {
    await create('-entryID', 'd1', '-parentID', AGENT, '-spiffeID', SERVICE, '-selector', 'a:b');
    await create('-entryID', 'd2', '-parentID', AGENT, '-spiffeID', SERVICE, '-selector', 'a:c');
    expect(await runVerb(h, entryDeleteCommand, ['-entryID', 'd1'])).toEqual({
      code: 0,
      stdout: 'Deleted entry with ID: d1\n\n\nDeleted 1 entries successfully',
      stderr: '',
    });
    const mixed = await runVerb(
      h,
      entryDeleteCommand,
      ['-file', '-'],
      '{"Ids": ["d2", "no-such-id"]}',
    );
    expect(mixed).toEqual({
      code: 1,
      stdout:
        'Deleted entry with ID: d2\n\n\n\n\nDeleted 1 entries successfully, but failed to delete 1 entries',
      stderr:
        'Failed to delete entry with ID no-such-id (code: NotFound, msg: "entry not found")\n' +
        'Error: failed to delete one or more entries\n',
    });
    const none = await runVerb(h, entryDeleteCommand, ['-entryID', 'd2']);
    expect(none.stdout).toBe('\n\nFailed to delete 1 entries');
    expect(await runVerb(h, entryDeleteCommand, [])).toEqual({
      code: 1,
      stdout: '',
      stderr: 'Error: an entry ID is required\n',
    });
  });
});
