import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ProcFileReader, readProcFileSync } from '../../../src/common/peercred/index.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function folder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'procfiles-'));
  dirs.push(dir);
  return dir;
}

describe('ProcFileReader', () => {
  it('keeps descriptors under /proc and reads current text through them', () => {
    const reader = new ProcFileReader('/proc');
    const path = `/proc/${process.pid}/status`;

    const first = reader.read(path);
    const second = reader.read(path);

    expect(reader.keepsDescriptors).toBe(true);
    expect(reader.openCount).toBe(1);
    expect(first.split('\n')[5]).toBe(`Pid:\t${process.pid}`);
    expect(second.split('\n')[5]).toBe(`Pid:\t${process.pid}`);
    reader.close();
    expect(reader.openCount).toBe(0);
  });

  it('answers as a fresh read by path once the process it kept is gone (ENOENT, kept fd closed)', async () => {
    const reader = new ProcFileReader('/proc');
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    await once(child, 'spawn');
    const path = `/proc/${child.pid}/stat`;
    expect(reader.read(path).startsWith(`${child.pid} (sleep) `)).toBe(true);
    expect(reader.openCount).toBe(1);

    child.kill();
    await once(child, 'exit');

    expect(() => reader.read(path)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    expect(reader.openCount).toBe(0);
  });

  it('keeps at most maxOpen descriptors, closing the least recently read', () => {
    const reader = new ProcFileReader('/proc', 2);
    for (const name of ['stat', 'status', 'stat', 'cmdline']) {
      reader.read(`/proc/${process.pid}/${name}`);
    }
    expect(reader.openCount).toBe(2);
    reader.close();

    const none = new ProcFileReader('/proc', 0);
    none.read(`/proc/${process.pid}/stat`);
    expect(none.openCount).toBe(0);
  });

  it('reads afresh under a root that is not procfs: a file replaced by rename is seen', () => {
    const root = folder();
    mkdirSync(join(root, '42'));
    const path = join(root, '42', 'status');
    writeFileSync(path, 'Uid:\t1 1\n');
    const reader = new ProcFileReader(root);
    expect(reader.read(path)).toBe('Uid:\t1 1\n');

    writeFileSync(join(root, 'next'), 'Uid:\t2 2\n');
    renameSync(join(root, 'next'), path);

    expect(reader.read(path)).toBe('Uid:\t2 2\n');
    expect([reader.keepsDescriptors, reader.openCount]).toEqual([false, 0]);
  });

  it('reads a path outside its root afresh', () => {
    const dir = folder();
    const path = join(dir, 'file');
    writeFileSync(path, 'outside');
    const reader = new ProcFileReader('/proc');

    expect(reader.read(path)).toBe(readProcFileSync(path));
    expect(reader.openCount).toBe(0);
  });
});

/** What support/pid-reuse.ts prints: the kept and the fresh view at each step. */
interface PidReuseReport {
  pid: number;
  reused: number;
  kept: number;
  before: { kept: string[]; fresh: string[] };
  after: { kept: string[]; fresh: string[] };
  execed: { kept: string[]; fresh: string[] };
}

const PID_REUSE = fileURLToPath(new URL('./support/pid-reuse.ts', import.meta.url));

/** A pid namespace of our own, where ns_last_pid can hand a pid out again: root and util-linux. */
const canReusePids =
  process.getuid?.() === 0 &&
  spawnSync('unshare', ['--pid', '--fork', '--mount-proc', 'setpriv', '--reuid=0', 'true'])
    .status === 0;

describe.skipIf(!canReusePids)(
  'ProcFileReader on a pid given to another process (own pid namespace)',
  () => {
    it('reads the new process through the kept path, never the old one, and sees its exec and uid change', () => {
      const run = spawnSync(
        'unshare',
        ['--pid', '--fork', '--mount-proc', process.execPath, '--import', 'tsx', PID_REUSE],
        { encoding: 'utf8', timeout: 30_000 },
      );
      expect(run.stderr).toBe('');
      const seen = JSON.parse(run.stdout) as PidReuseReport;
      expect(seen.reused).toBe(seen.pid);
      expect(seen.kept).toBe(2);
      const [, , , beforeStart] = seen.before.fresh;
      const [, , , afterStart] = seen.after.fresh;
      expect(seen.before.kept).toEqual(seen.before.fresh);
      expect(seen.before.kept.slice(0, 2)).toEqual(['Name:\tsleep', `Pid:\t${seen.pid}`]);
      expect(seen.after.kept).toEqual(seen.after.fresh);
      expect(seen.after.kept[0]).toBe('Name:\tsh');
      expect(afterStart).not.toBe(beforeStart);
      expect(seen.execed.kept).toEqual(seen.execed.fresh);
      expect(seen.execed.kept).toEqual([
        'Name:\tsleep',
        `Pid:\t${seen.pid}`,
        'Uid:\t65534\t65534\t65534\t65534',
        afterStart?.replace('(sh)', '(sleep)'),
      ]);
    });
  },
);
