/**
 * SPIRE's quickstart, server side (reference §6, steps 2, 3, 4 and 7), run VERBATIM by `sh` in a
 * temporary folder laid out like the release tarball (`bin/spire-server`, the shipped
 * `conf/server/server.conf`): the server listens on the default admin socket
 * `/tmp/spire-server/private/api.sock` and on 127.0.0.1:8081. No other test may use those, so
 * this one takes a lock file and skips, saying why, when the port or the socket is in use by
 * something else. Every other test passes explicit `-socketPath` and ports.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DEFAULT_SOCKET = '/tmp/spire-server/private/api.sock';
const PORT = 8081;
const LOCK = join(tmpdir(), 'spire-ts-quickstart-server.lock');

/** Why the test cannot run here, or undefined when it holds the lock. */
let skipReason: string | undefined;
let dir: string;
let serverPid: number | undefined;
let serverOut: ChildProcess | undefined;

// The release layout: bin/spire-server runs our CLI (through tsx, from the sources).
function layOut(): string {
  const root = mkdtempSync(join(tmpdir(), 'spire-quickstart-'));
  mkdirSync(join(root, 'bin'));
  mkdirSync(join(root, 'conf/server'), { recursive: true });
  copyFileSync(join(ROOT, 'conf/server/server.conf'), join(root, 'conf/server/server.conf'));
  const cli = join(ROOT, 'packages/spire/src/cli/index.ts');
  const entry = join(root, 'bin/spire-server.mjs');
  writeFileSync(
    entry,
    `const { main } = await import(${JSON.stringify(pathToFileURL(cli).href)});\n` +
      `process.exitCode = await main('spire-server', process.argv.slice(2));\n`,
  );
  const tsx = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
  writeFileSync(
    join(root, 'bin/spire-server'),
    `#!/bin/sh\nTSX_TSCONFIG_PATH='${join(ROOT, 'tsconfig.test.json')}' exec '${process.execPath}' --import '${tsx}' '${entry}' "$@"\n`,
  );
  chmodSync(join(root, 'bin/spire-server'), 0o755);
  return root;
}

function takeLock(): string | undefined {
  try {
    writeFileSync(LOCK, String(process.pid), { flag: 'wx' });
    return undefined;
  } catch {
    const holder = Number(readFileSync(LOCK, 'utf8'));
    if (Number.isInteger(holder) && holder > 0 && alive(holder)) {
      return `another quickstart run (pid ${holder}) holds ${LOCK}`;
    }
    unlinkSync(LOCK);
    return takeLock();
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function portTaken(port: number): Promise<boolean> {
  const srv = net.createServer();
  const result = await new Promise<boolean>((resolve) => {
    srv.once('error', () => resolve(true));
    srv.listen(port, '127.0.0.1', () => resolve(false));
  });
  if (!result) await new Promise((r) => srv.close(r));
  return result;
}

async function socketAnswers(path: string): Promise<boolean> {
  if (!existsSync(path)) return false;
  return new Promise((resolve) => {
    const s = net.connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Runs one quickstart command line with `sh -c` in the release folder. */
async function sh(line: string) {
  const child = spawn('sh', ['-c', line], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const [code] = (await once(child, 'exit')) as [number];
  return { code, stdout, stderr };
}

beforeAll(async () => {
  skipReason = takeLock();
  if (skipReason) return;
  if (await portTaken(PORT)) skipReason = `port ${PORT} on 127.0.0.1 is taken by another process`;
  else if (await socketAnswers(DEFAULT_SOCKET)) {
    skipReason = `a server already answers on ${DEFAULT_SOCKET}`;
  }
  if (skipReason) {
    unlinkSync(LOCK);
    return;
  }
  dir = layOut();
});

afterAll(async () => {
  if (serverPid !== undefined && alive(serverPid)) {
    process.kill(serverPid, 'SIGTERM');
    for (let i = 0; i < 100 && alive(serverPid); i++) await new Promise((r) => setTimeout(r, 100));
  }
  serverOut?.stdout?.destroy();
  serverOut?.stderr?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
  if (!skipReason) unlinkSync(LOCK);
}, 30_000);

describe('SPIRE quickstart, server steps run verbatim (reference §6)', () => {
  it('steps 2, 3, 4 and 7: run, healthcheck, token generate, entry create', async (ctx) => {
    if (skipReason) {
      console.warn(`quickstart-server skipped: ${skipReason}`);
      ctx.skip();
      return;
    }
    // Step 2. `&` puts the server in the background; `echo $!` tells us whom to stop at the end.
    serverOut = spawn(
      'sh',
      ['-c', 'bin/spire-server run -config conf/server/server.conf & echo $!'],
      {
        cwd: dir,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    serverOut.stderr?.resume();
    const [first] = (await once(serverOut.stdout as NodeJS.ReadableStream, 'data')) as [Buffer];
    serverPid = Number(first.toString().split('\n')[0]);
    serverOut.stdout?.resume();
    expect(Number.isInteger(serverPid) && serverPid > 0).toBe(true);

    // Step 3, repeated until the server is up (the quickstart waits by hand).
    let health = await sh('bin/spire-server healthcheck');
    for (let i = 0; i < 60 && health.code !== 0; i++) {
      await new Promise((r) => setTimeout(r, 500));
      health = await sh('bin/spire-server healthcheck');
    }
    expect(health).toEqual({ code: 0, stdout: 'Server is healthy.\n', stderr: '' });

    // Step 4.
    const token = await sh(
      'bin/spire-server token generate -spiffeID spiffe://example.org/myagent',
    );
    expect(token.stderr).toBe('');
    expect(token.code).toBe(0);
    expect(token.stdout).toMatch(
      /^Token: [0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\n$/,
    );

    // Step 7.
    const entry = await sh(
      'bin/spire-server entry create -parentID spiffe://example.org/myagent -spiffeID spiffe://example.org/myservice -selector unix:uid:$(id -u)',
    );
    const uid = execFileSync('id', ['-u']).toString().trim();
    expect(entry.stderr).toBe('');
    expect(entry.code).toBe(0);
    const id = /^Entry ID {16}: (\S+)\n/.exec(entry.stdout)?.[1] ?? '';
    expect(entry.stdout).toBe(
      `Entry ID                : ${id}\n` +
        'SPIFFE ID               : spiffe://example.org/myservice\n' +
        'Parent ID               : spiffe://example.org/myagent\n' +
        'Revision                : 0\n' +
        'X509-SVID TTL           : default\n' +
        'JWT-SVID TTL            : default\n' +
        `Selector                : unix:uid:${uid}\n\n`,
    );

    // Beyond the quickstart: the same server read back, and `-data -` from a real stdin pipe.
    const shown = await sh('bin/spire-server entry show -spiffeID spiffe://example.org/myservice');
    expect(shown).toEqual({ code: 0, stdout: `Found 1 entry\n${entry.stdout}`, stderr: '' });
    const piped = await sh(
      `printf '%s' '{"entries":[{"spiffe_id":"spiffe://example.org/piped","parent_id":"spiffe://example.org/myagent","selectors":[{"type":"unix","value":"uid:1"}]}]}' | bin/spire-server entry create -data -`,
    );
    expect(piped.code).toBe(0);
    expect(piped.stdout).toContain('SPIFFE ID               : spiffe://example.org/piped\n');
    expect(await sh('bin/spire-server entry count')).toEqual({
      code: 0,
      stdout: '3 registration entries\n',
      stderr: '',
    });
    expect(await sh('bin/spire-server bundle count')).toEqual({
      code: 0,
      stdout: '1 bundle\n',
      stderr: '',
    });

    // The server stops cleanly and removes its socket.
    process.kill(serverPid, 'SIGTERM');
    for (let i = 0; i < 100 && alive(serverPid); i++) await new Promise((r) => setTimeout(r, 100));
    expect(alive(serverPid)).toBe(false);
    expect(existsSync(DEFAULT_SOCKET)).toBe(false);
  }, 120_000);
});
