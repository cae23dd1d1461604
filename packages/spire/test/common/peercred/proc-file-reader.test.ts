import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
