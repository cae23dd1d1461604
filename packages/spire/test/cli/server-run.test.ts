/**
 * `spire-server run` as a child process with the shipped `conf/server/server.conf` in a temporary
 * working directory (its relative `./data/server` paths land there), then the quickstart's
 * server steps (reference §6: 2 run, 3 healthcheck) as further child processes, SIGTERM for a
 * clean stop, and a restart over the same data keeping entries and the CA.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const CLI = join(ROOT, 'packages/spire/src/cli/index.ts');
// The child runs in a temporary folder: load tsx by absolute URL.
const TSX = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
const SCRIPT = `const { main } = await import(${JSON.stringify(CLI)});
process.exitCode = await main('spire-server', process.argv.slice(1));`;

function spireServer(cwd: string, args: string[]): ChildProcess {
  return spawn(process.execPath, ['--import', TSX, '--input-type=module', '-e', SCRIPT, ...args], {
    cwd,
    env: { ...process.env, TSX_TSCONFIG_PATH: join(ROOT, 'tsconfig.test.json') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

async function runToEnd(cwd: string, args: string[]) {
  const child = spireServer(cwd, args);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => (stdout += d));
  child.stderr?.on('data', (d) => (stderr += d));
  const [code] = (await once(child, 'exit')) as [number];
  return { code, stdout, stderr };
}

async function freePort(): Promise<number> {
  const srv = net.createServer().listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

async function waitHealthy(cwd: string, socket: string) {
  for (let i = 0; i < 60; i++) {
    if (existsSync(socket)) {
      const r = await runToEnd(cwd, ['healthcheck', '-socketPath', socket]);
      if (r.code === 0) return r;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error('server did not become healthy');
}

let dir: string;
let socket: string;
let port: number;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'spire-run-'));
  mkdirSync(join(dir, 'conf/server'), { recursive: true });
  copyFileSync(join(ROOT, 'conf/server/server.conf'), join(dir, 'conf/server/server.conf'));
  socket = join(dir, 'sock', 'api.sock');
  port = await freePort();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const runArgs = () => [
  'run',
  '-config',
  'conf/server/server.conf',
  '-socketPath',
  socket,
  '-serverPort',
  String(port),
];

describe('spire-server run with the shipped server.conf (quickstart steps 2, 3)', () => {
  it('starts, answers healthcheck with "Server is healthy.", stops on SIGTERM', async () => {
    const server = spireServer(dir, runArgs());
    let logs = '';
    server.stderr?.on('data', (d) => (logs += d));
    try {
      const health = await waitHealthy(dir, socket);
      expect(health).toEqual({ code: 0, stdout: 'Server is healthy.\n', stderr: '' });
      // Reference §3.1: socket 0770 in a 0750 folder; data under ./data/server.
      expect(statSync(socket).mode & 0o777).toBe(0o770);
      expect(statSync(join(dir, 'sock')).mode & 0o777).toBe(0o750);
      expect(existsSync(join(dir, 'data/server/datastore.sqlite3'))).toBe(true);
      expect(existsSync(join(dir, 'data/server/keys.json'))).toBe(true);
      expect(logs).toContain('Starting SPIRE server');
    } finally {
      server.kill('SIGTERM');
    }
    const [code] = (await once(server, 'exit')) as [number];
    expect(code).toBe(0);
    expect(existsSync(socket)).toBe(false);
  }, 60_000);

  it('restarts after SIGKILL over the stale socket file (bug-cases-2 D21)', async () => {
    const killed = spireServer(dir, runArgs());
    killed.stderr?.resume();
    killed.stdout?.resume();
    await waitHealthy(dir, socket);
    killed.kill('SIGKILL');
    await once(killed, 'exit');
    expect(existsSync(socket)).toBe(true);

    const again = spireServer(dir, runArgs());
    again.stderr?.resume();
    again.stdout?.resume();
    try {
      expect(await waitHealthy(dir, socket)).toEqual({
        code: 0,
        stdout: 'Server is healthy.\n',
        stderr: '',
      });
      expect(statSync(socket).isSocket()).toBe(true);
    } finally {
      again.kill('SIGTERM');
    }
    const [code] = (await once(again, 'exit')) as [number];
    expect(code).toBe(0);
  }, 90_000);

  it('healthcheck against a stopped server says so and exits 1', async () => {
    const r = await runToEnd(dir, ['healthcheck', '-socketPath', socket]);
    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr: 'Server is unhealthy: unable to determine health\n',
    });
  }, 30_000);

  it('a configuration error exits 1 with the reason', async () => {
    const r = await runToEnd(dir, ['run', '-config', 'conf/server/missing.conf']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^Error: .*missing\.conf/);
  }, 30_000);
});
