import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cachedNameTables } from '../../../../src/agent/plugin/workloadattestor/unix/index.js';

function setup(recheck: { intervalMs?: number; now?: () => number } = { intervalMs: 0 }) {
  const dir = mkdtempSync(join(tmpdir(), 'names-'));
  const passwd = join(dir, 'passwd');
  const group = join(dir, 'group');
  writeFileSync(passwd, 'alice:x:1001:1001::/home/alice:/bin/sh\n');
  writeFileSync(group, 'staff:x:2001:\n');
  const reads: string[] = [];
  const load = cachedNameTables(
    passwd,
    group,
    (path) => {
      reads.push(path.slice(dir.length + 1));
      return readFile(path, 'utf8');
    },
    recheck,
  );
  return { dir, passwd, group, reads, load };
}

async function lookup(load: ReturnType<typeof cachedNameTables>) {
  const t = await load();
  return [t.userName(1001), t.userName(1002), t.groupName(2001), t.groupName(2002)];
}

describe('cached account name tables (unix attestor)', () => {
  it('reads each file once while it is unchanged', async () => {
    const { reads, load } = setup();
    expect(await lookup(load)).toEqual(['alice', undefined, 'staff', undefined]);
    expect(await lookup(load)).toEqual(['alice', undefined, 'staff', undefined]);
    await Promise.all([load(), load()]);
    expect(reads).toEqual(['passwd', 'group']);
  });

  it('hands out the same tables object while both files are unchanged, a new one after', async () => {
    const { passwd, load } = setup();
    const first = await load();
    expect(await load()).toBe(first);

    writeFileSync(passwd, 'bob:x:1002:1002::/:/bin/sh\n');
    const next = await load();

    expect(next).not.toBe(first);
    expect([next.userName(1002), first.userName(1001)]).toEqual(['bob', 'alice']);
  });

  const changes: [
    string,
    (s: ReturnType<typeof setup>) => void,
    (string | undefined)[],
    string[],
  ][] = [
    [
      'a rewritten passwd is read again',
      (s) => writeFileSync(s.passwd, 'bob:x:1002:1002::/:/bin/sh\n'),
      [undefined, 'bob', 'staff', undefined],
      ['passwd', 'group', 'passwd'],
    ],
    [
      'a group file replaced by rename is read again',
      (s) => {
        writeFileSync(join(s.dir, 'g2'), 'staff:x:2001:\nops:x:2002:\n');
        renameSync(join(s.dir, 'g2'), s.group);
      },
      ['alice', undefined, 'staff', 'ops'],
      ['passwd', 'group', 'group'],
    ],
    [
      'a removed passwd gives no user names',
      (s) => rmSync(s.passwd),
      [undefined, undefined, 'staff', undefined],
      ['passwd', 'group', 'passwd'],
    ],
  ];
  for (const [name, change, expected, expectedReads] of changes) {
    it(name, async () => {
      const s = setup();
      await lookup(s.load);
      change(s);
      expect(await lookup(s.load)).toEqual(expected);
      expect(s.reads).toEqual(expectedReads);
    });
  }

  it('looks at the files again only once per interval (100 ms by default), then sees a change', async () => {
    let clock = 1_000;
    const s = setup({ now: () => clock });
    expect(await lookup(s.load)).toEqual(['alice', undefined, 'staff', undefined]);
    writeFileSync(s.passwd, 'bob:x:1002:1002::/:/bin/sh\n');
    clock += 99;
    expect(await lookup(s.load)).toEqual(['alice', undefined, 'staff', undefined]);
    clock += 1;
    expect(await lookup(s.load)).toEqual([undefined, 'bob', 'staff', undefined]);
    expect(s.reads).toEqual(['passwd', 'group', 'passwd']);
  });

  it('a passwd created after being missing is read', async () => {
    const s = setup();
    rmSync(s.passwd);
    expect(await lookup(s.load)).toEqual([undefined, undefined, 'staff', undefined]);
    writeFileSync(s.passwd, 'alice:x:1001:1001::/:/bin/sh\n');
    expect(await lookup(s.load)).toEqual(['alice', undefined, 'staff', undefined]);
  });
});
