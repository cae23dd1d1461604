import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  parseIdFile,
  parseProcStatus,
  parseUnixAttestorConfig,
  UnixWorkloadAttestor,
} from '../../../../src/agent/plugin/workloadattestor/unix/index.js';

const STATUS = [
  'Name:\tworkload',
  'Pid:\t4242',
  'Uid:\t1000\t1001\t1001\t1001',
  'Gid:\t2000\t2001\t2001\t2001',
  'Groups:\t27 44 2001 ',
  '',
].join('\n');

const names = async () => ({
  userName: (uid: number) => ({ 1001: 'alice' })[uid],
  groupName: (gid: number) => ({ 2001: 'staff', 27: 'sudo' })[gid],
});

function fakeProc(pid: number, exeContent = 'binary-bytes') {
  const root = mkdtempSync(join(tmpdir(), 'proc-'));
  mkdirSync(join(root, String(pid)));
  writeFileSync(join(root, String(pid), 'status'), STATUS);
  const exe = join(root, 'workload-bin');
  writeFileSync(exe, exeContent);
  symlinkSync(exe, join(root, String(pid), 'exe'));
  return { root, exe };
}

describe('unix workload attestor (reference §4.2 selectors)', () => {
  it('reports effective uid/gid, names and supplementary groups in SPIRE order', async () => {
    const { root } = fakeProc(4242);
    const attestor = new UnixWorkloadAttestor({
      config: parseUnixAttestorConfig({}),
      procRoot: root,
      names,
    });
    expect(await attestor.attest(4242)).toEqual([
      'uid:1001',
      'user:alice',
      'gid:2001',
      'group:staff',
      'supplementary_gid:27',
      'supplementary_group:sudo',
      'supplementary_gid:44',
      'supplementary_gid:2001',
      'supplementary_group:staff',
    ]);
  });

  it('adds path and sha256 of the executable with discover_workload_path', async () => {
    const { root, exe } = fakeProc(7, 'hello');
    const attestor = new UnixWorkloadAttestor({
      config: parseUnixAttestorConfig({ discover_workload_path: true }),
      procRoot: root,
      names,
    });
    const values = await attestor.attest(7);
    expect(values.slice(-2)).toEqual([
      `path:${exe}`,
      `sha256:${createHash('sha256').update('hello').digest('hex')}`,
    ]);
  });

  it('skips hashing when workload_size_limit is negative', async () => {
    const { root, exe } = fakeProc(8);
    const attestor = new UnixWorkloadAttestor({
      config: parseUnixAttestorConfig({ discover_workload_path: true, workload_size_limit: -1 }),
      procRoot: root,
      names,
    });
    const values = await attestor.attest(8);
    expect(values.at(-1)).toBe(`path:${exe}`);
    expect(values.some((v) => v.startsWith('sha256:'))).toBe(false);
  });

  it('refuses an executable over workload_size_limit with a clear error', async () => {
    const { root } = fakeProc(9, 'x'.repeat(100));
    const attestor = new UnixWorkloadAttestor({
      config: parseUnixAttestorConfig({ discover_workload_path: true, workload_size_limit: 10 }),
      procRoot: root,
      names,
    });
    await expect(attestor.attest(9)).rejects.toMatchObject({
      code: 'ERR_UNIX_SIZE_LIMIT',
      message: 'executable of process 9 is 100 bytes, over workload_size_limit 10',
    });
  });

  it('fails attestation of a process that does not exist', async () => {
    const root = mkdtempSync(join(tmpdir(), 'proc-'));
    const attestor = new UnixWorkloadAttestor({
      config: parseUnixAttestorConfig(),
      procRoot: root,
    });
    await expect(attestor.attest(12345)).rejects.toMatchObject({ code: 'ERR_UNIX_PROCESS' });
    await expect(attestor.attest(0)).rejects.toMatchObject({ code: 'ERR_UNIX_BAD_PID' });
  });

  it('attests this real process from /proc with the kernel’s ids', async () => {
    const attestor = new UnixWorkloadAttestor({
      config: parseUnixAttestorConfig({ discover_workload_path: true }),
    });
    const values = await attestor.attest(process.pid);
    expect(values[0]).toBe(`uid:${process.geteuid?.()}`);
    expect(values).toContain(`gid:${process.getegid?.()}`);
    expect(values).toContain(`path:${process.execPath}`);
    const digest = createHash('sha256').update(readFileSync(process.execPath)).digest('hex');
    expect(values).toContain(`sha256:${digest}`);
  });
});

describe('unix attestor plugin_data', () => {
  it('rejects unknown keys and wrong types, naming the key', () => {
    expect(() => parseUnixAttestorConfig({ discover_path: true })).toThrow(
      'unix workload attestor: unknown plugin_data key "discover_path"; known keys are ' +
        'discover_workload_path, workload_size_limit',
    );
    expect(() => parseUnixAttestorConfig({ discover_workload_path: 'yes' })).toThrow(
      'discover_workload_path must be true or false',
    );
    expect(() => parseUnixAttestorConfig({ workload_size_limit: 1.5 })).toThrow(
      'workload_size_limit must be a whole number of bytes',
    );
  });
});

describe('proc status and account files parsing', () => {
  it('reads effective ids and groups; rejects a status without ids', () => {
    expect(parseProcStatus(STATUS)).toEqual({ euid: 1001, egid: 2001, groups: [27, 44, 2001] });
    expect(parseProcStatus('Uid:\t5\nGid:\t6\nGroups:\t\n')).toEqual({
      euid: 5,
      egid: 6,
      groups: [],
    });
    expect(() => parseProcStatus('Name:\tx\n')).toThrow('process status has no Uid or Gid line');
  });

  it.each([
    ['keys on the first line, no trailing newline', 'Uid:\t1 2 3 4\nGid:\t5 6 7 8', 2, 6, []],
    ['no Groups line', 'Name:\tw\nUid:\t1\t2\t2\t2\nGid:\t3\t4\t4\t4\n', 2, 4, []],
    ['a key inside another line is not a key', 'XUid:\t9 9\nUid:\t1 2\nGid:\t3 4\n', 2, 4, []],
    ['a name that looks like a key', 'Name:\tUid:\t0 0\nUid:\t1 2\nGid:\t3 4\n', 2, 4, []],
    ['many groups', 'Uid:\t0 7\nGid:\t0 8\nGroups:\t1  2\t3 \n', 7, 8, [1, 2, 3]],
    ['a key listed twice (last wins)', 'Uid:\t0 1\nGid:\t0 2\nUid:\t0 3\n', 3, 2, []],
  ])('reads the status lines with %s', (_name, text, euid, egid, groups) => {
    expect(parseProcStatus(text)).toEqual({ euid, egid, groups });
  });

  it.each([
    ['an empty Uid line', 'Uid:\nGid:\t1 1\n', 'process status has an empty id line'],
    ['a non-numeric id', 'Uid:\t1 x\nGid:\t1 1\n', 'bad id "x"'],
    ['a negative group', 'Uid:\t1 1\nGid:\t1 1\nGroups:\t-4\n', 'bad id "-4"'],
    ['no Gid line', 'Uid:\t1 1\n', 'process status has no Uid or Gid line'],
  ])('rejects a status with %s', (_name, text, message) => {
    expect(() => parseProcStatus(text)).toThrow(message);
  });

  it('reads this process from the real /proc as the kernel shows it', () => {
    const text = readFileSync(`/proc/${process.pid}/status`, 'utf8');
    const field = (key: string) => text.split('\n').find((l) => l.startsWith(`${key}:`)) ?? '';
    const groups = field('Groups').slice('Groups:'.length).trim();
    expect(parseProcStatus(text)).toEqual({
      euid: process.geteuid?.(),
      egid: process.getegid?.(),
      groups: groups === '' ? [] : groups.split(/\s+/).map(Number),
    });
  });

  it('maps ids to the first name listed, skipping comments and broken lines', () => {
    const table = parseIdFile(
      '# c\nroot:x:0:0::/root:/bin/sh\nbad\nalias:x:0:0\nbob:x:1002:1002\n',
    );
    expect([...table]).toEqual([
      [0, 'root'],
      [1002, 'bob'],
    ]);
  });
});
