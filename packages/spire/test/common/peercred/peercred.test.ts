import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  type PeerCredentials,
  parseStartTime,
  peerCredentials,
  processStartTime,
  readProcFileSync,
} from '../../../src/common/peercred/index.js';

// The child connects, then waits for one byte from the server before it exits, so its pid is
// alive while the server reads SO_PEERCRED.
const CHILD = `
const s = require('node:net').connect(process.argv[1]);
s.on('data', () => process.exit(0));
s.on('error', () => process.exit(2));
`;

let dir: string;
let socketPath: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'peercred-'));
  socketPath = join(dir, 'peer.sock');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Serves once on a fresh Unix socket; returns what the server saw and the child that connected. */
async function credsOfChild(
  ids: { uid?: number; gid?: number } = {},
): Promise<{ seen: PeerCredentials; child: ChildProcess }> {
  rmSync(socketPath, { force: true });
  const server = net.createServer();
  server.listen(socketPath);
  await once(server, 'listening');
  chmodSync(dir, 0o755);
  chmodSync(socketPath, 0o777);

  const child = spawn(process.execPath, ['-e', CHILD, socketPath], { stdio: 'ignore', ...ids });
  const [conn] = (await once(server, 'connection')) as [net.Socket];
  const seen = peerCredentials(conn);

  conn.end('x');
  await once(child, 'exit');
  server.close();
  return { seen, child };
}

describe('peerCredentials', () => {
  it('reports the connecting child process pid and our uid and gid exactly', async () => {
    const { seen, child } = await credsOfChild();

    expect(seen).toEqual({ pid: child.pid, uid: process.getuid?.(), gid: process.getgid?.() });
  });

  // Only root may start a child under another uid; elsewhere the case above is the proof.
  it.runIf(process.getuid?.() === 0)(
    'reports the uid and gid of a child running as another user (65534)',
    async () => {
      const { seen, child } = await credsOfChild({ uid: 65534, gid: 65534 });

      expect(seen).toEqual({ pid: child.pid, uid: 65534, gid: 65534 });
    },
  );

  it.each([
    ['a plain object without a handle', {}, 'ERR_PEERCRED_NO_FD'],
    ['a handle without an fd', { _handle: {} }, 'ERR_PEERCRED_NO_FD'],
    ['a closed socket (handle null)', { _handle: null }, 'ERR_PEERCRED_NO_FD'],
    ['a negative fd', { _handle: { fd: -1 } }, 'ERR_PEERCRED_NO_FD'],
  ])('rejects %s with %s', (_name, socket, code) => {
    expect(() => peerCredentials(socket)).toThrow(expect.objectContaining({ code }));
  });

  it('rejects a TCP socket, where the kernel answers with pid 0 and the overflow uid', async () => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as net.AddressInfo;
    const client = net.connect(port, '127.0.0.1');
    const [conn] = (await once(server, 'connection')) as [net.Socket];

    expect(() => peerCredentials(conn)).toThrow(
      expect.objectContaining({ code: 'ERR_PEERCRED_NOT_UNIX_SOCKET' }),
    );

    client.destroy();
    conn.destroy();
    server.close();
  });
});

describe('processStartTime', () => {
  it('returns field 22 of /proc/<pid>/stat for a live process', async () => {
    const text = readFileSync(`/proc/${process.pid}/stat`, 'utf8');
    const field22 = text.slice(text.lastIndexOf(')') + 2).split(' ')[19];

    expect(await processStartTime(process.pid)).toBe(BigInt(field22 ?? 'x'));
  });

  it('reports ERR_PEERCRED_PROCESS_GONE once the peer has exited and been reaped', async () => {
    const { child } = await credsOfChild();

    await expect(processStartTime(child.pid ?? 0)).rejects.toMatchObject({
      code: 'ERR_PEERCRED_PROCESS_GONE',
    });
  });

  it.each([0, -1, 1.5, Number.NaN])('rejects pid %s with ERR_PEERCRED_INVALID_PID', async (pid) => {
    await expect(processStartTime(pid)).rejects.toMatchObject({ code: 'ERR_PEERCRED_INVALID_PID' });
  });
});

describe('parseStartTime', () => {
  const tail = 'S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 987654 20 21';

  it.each([
    ['a plain comm', `42 (node) ${tail}`, 987654n],
    ['a comm with spaces and a closing parenthesis', `42 (a) b (c) ${tail}`, 987654n],
    ['tabs, runs of spaces and a newline', `42 (x)\t${tail.replaceAll(' ', '  ')}\n`, 987654n],
    ['the start time as the last field', `42 (x) ${tail.split(' 20 ')[0]}`, 987654n],
  ])('reads the start time from %s', (_name, text, want) => {
    expect(parseStartTime(text, 42)).toBe(want);
  });

  it.each([
    ['no closing parenthesis', '42 node S 1 2'],
    ['too few fields', '42 (node) S 1 2 3'],
    ['a non-numeric start time', `42 (node) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 x`],
    ['a start time with a sign', `42 (node) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 +7`],
    ['only spaces after the comm', '42 (node)    \n'],
  ])('rejects stat text with %s as ERR_PEERCRED_PROC_STAT', (_name, text) => {
    expect(() => parseStartTime(text, 42)).toThrow(
      expect.objectContaining({ code: 'ERR_PEERCRED_PROC_STAT' }),
    );
  });
});

describe('readProcFileSync', () => {
  it.each([
    ['an empty file', ''],
    ['a short file', 'Name:\tx\nUid:\t1\n'],
    ['a file past the first buffer size', 'a'.repeat(4096) + 'é\n'.repeat(3000)],
  ])('reads %s whole, byte for byte as latin1', (_name, content) => {
    const path = join(dir, 'file.txt');
    writeFileSync(path, content);
    expect(readProcFileSync(path)).toBe(Buffer.from(content).toString('latin1'));
  });

  it('reads a procfs file of this process as the kernel gives it', () => {
    const text = readProcFileSync(`/proc/${process.pid}/stat`);
    expect(text.startsWith(`${process.pid} (`)).toBe(true);
    expect(text.endsWith('\n')).toBe(true);
  });

  it("throws Node's ENOENT for a missing file", () => {
    expect(() => readProcFileSync(join(dir, 'missing'))).toThrow(
      expect.objectContaining({ code: 'ENOENT' }),
    );
  });
});
