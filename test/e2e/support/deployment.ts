import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SERVER_BIN = join(ROOT, 'packages/spire/bin/spire-server.js');
const AGENT_BIN = join(ROOT, 'packages/spire/bin/spire-agent.js');

/** A finished CLI run. */
export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Builds both packages (incremental; quick when nothing changed) so the bins run current code.
 * Test files run in parallel processes and several call this: one build at a time (a lock
 * directory beside the build outputs), so a second build finds the first's outputs up to date
 * and rewrites nothing, instead of rewriting `dist` while processes another file started (a
 * CLI, a workload child) are loading it.
 */
export function buildOnce(): void {
  withBuildLock(() =>
    execFileSync('npx', ['tsc', '-b', 'packages/spiffe', 'packages/spire'], {
      cwd: ROOT,
      stdio: 'pipe',
    }),
  );
}

const BUILD_LOCK = join(ROOT, 'node_modules', '.spire-ts-build.lock');
// A lock older than this is left over whoever holds it (a build takes seconds).
const BUILD_LOCK_STALE_MS = 5 * 60_000;

function withBuildLock(build: () => void): void {
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      mkdirSync(BUILD_LOCK);
      writeFileSync(join(BUILD_LOCK, 'pid'), String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (buildLockAbandoned()) rmSync(BUILD_LOCK, { recursive: true, force: true });
      // buildOnce runs at module load, synchronously: block this process while another builds.
      else Atomics.wait(sleeper, 0, 0, 100);
    }
  }
  try {
    build();
  } finally {
    rmSync(BUILD_LOCK, { recursive: true, force: true });
  }
}

// True when the holder was killed mid-build (its pid is gone) or the lock is far too old.
function buildLockAbandoned(): boolean {
  const since = statOrNull(BUILD_LOCK)?.mtimeMs;
  if (since === undefined) return false;
  if (Date.now() - since > BUILD_LOCK_STALE_MS) return true;
  let pid: number;
  try {
    pid = Number(readFileSync(join(BUILD_LOCK, 'pid'), 'utf8'));
  } catch {
    return false; // just taken: the pid is being written
  }
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

function statOrNull(path: string) {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

/** True when the built CLIs have the verbs an end-to-end run needs. */
export function runtimeAvailable(): { ok: boolean; missing: string[] } {
  const need = [
    [SERVER_BIN, ['run', '-h']],
    [SERVER_BIN, ['token', 'generate', '-h']],
    [SERVER_BIN, ['entry', 'create', '-h']],
    [SERVER_BIN, ['entry', 'delete', '-h']],
    [AGENT_BIN, ['run', '-h']],
  ] as const;
  const missing = need
    .filter(([bin, args]) => {
      try {
        execFileSync(process.execPath, [bin, ...args], { stdio: 'pipe', timeout: 20_000 });
        return false;
      } catch (err) {
        // Go's flag package exits 0 (our dispatcher: 0) on -h; "no such command" is 127.
        return (err as { status?: number }).status === 127;
      }
    })
    .map(
      ([bin, args]) =>
        `${bin.endsWith('server.js') ? 'spire-server' : 'spire-agent'} ${args.slice(0, -1).join(' ')}`,
    );
  // Under CI the end-to-end suites must run: a missing verb is a failure, never a quiet skip.
  if (missing.length > 0 && process.env['CI'] === 'true') {
    throw new Error(`end-to-end run impossible, the built CLIs lack: ${missing.join(', ')}`);
  }
  return { ok: missing.length === 0, missing };
}

/** Runs a CLI and collects its output (never throws on a non-zero exit). */
export function runCli(
  bin: 'server' | 'agent',
  args: string[],
  opts: { uid?: number; gid?: number } = {},
): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [bin === 'server' ? SERVER_BIN : AGENT_BIN, ...args],
      { timeout: 30_000, ...opts },
      (err, stdout, stderr) => {
        const code = err ? ((err as { code?: number }).code ?? 1) : 0;
        resolve({ code: typeof code === 'number' ? code : 1, stdout, stderr });
      },
    );
  });
}

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

/** Options of {@link startServer}. */
export interface ServerOptions {
  readonly defaultX509SvidTtl?: string;
}

/** A running spire-server with its admin socket. */
export interface ServerProcess {
  readonly dir: string;
  readonly port: number;
  readonly socketPath: string;
  readonly log: () => string;
  cli(args: string[]): Promise<CliResult>;
  stop(): Promise<void>;
}

/** Starts `spire-server run` in a fresh directory under a free loopback port. */
export async function startServer(opts: ServerOptions = {}): Promise<ServerProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'spire-e2e-'));
  // Workloads of other uids must reach the agent socket inside this directory.
  chmodSync(dir, 0o755);
  const port = await freePort();
  const socketPath = join(dir, 'server', 'api.sock');
  const conf = join(dir, 'server.conf');
  writeFileSync(
    conf,
    `server {
    bind_address = "127.0.0.1"
    bind_port = "${port}"
    socket_path = "${socketPath}"
    trust_domain = "example.org"
    data_dir = "${dir}/server"
    log_level = "DEBUG"
    ca_ttl = "168h"
    default_x509_svid_ttl = "${opts.defaultX509SvidTtl ?? '1h'}"
}
plugins {
    DataStore "sql" {
        plugin_data {
            database_type = "sqlite3"
            connection_string = "${dir}/server/datastore.sqlite3"
        }
    }
    KeyManager "memory" {
        plugin_data {}
    }
    NodeAttestor "join_token" {
        plugin_data {}
    }
}
`,
  );
  mkdirSync(join(dir, 'server'), { recursive: true });
  const child = spawn(process.execPath, [SERVER_BIN, 'run', '-config', conf], { cwd: dir });
  const log = collect(child);
  const cli = (args: string[]) => runCli('server', [...args, '-socketPath', socketPath]);
  await waitFor(
    async () => (await runCli('server', ['healthcheck', '-socketPath', socketPath])).code === 0,
    child,
    log,
    'spire-server healthy',
  );
  return {
    dir,
    port,
    socketPath,
    log,
    cli,
    stop: async () => {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Options of {@link startAgent}. */
export interface AgentOptions {
  /** Extra `plugin_data` lines of the unix WorkloadAttestor. */
  readonly unixPluginData?: string;
  /** Agent name, for its own folder and socket. */
  readonly name?: string;
}

/** A running spire-agent. */
export interface AgentProcess {
  readonly socketPath: string;
  readonly agentId: string;
  readonly log: () => string;
  cli(args: string[], opts?: { uid?: number; gid?: number }): Promise<CliResult>;
  stop(): Promise<void>;
}

/** Generates a join token for `spiffe://example.org/<alias>` and starts an agent with it. */
export async function startAgent(
  server: ServerProcess,
  opts: AgentOptions = {},
): Promise<AgentProcess> {
  const name = opts.name ?? 'agent';
  const alias = `spiffe://example.org/${name}`;
  const token = await server.cli(['token', 'generate', '-spiffeID', alias]);
  const match = /^Token: (\S+)$/m.exec(token.stdout);
  if (token.code !== 0 || !match)
    throw new Error(`token generate failed: ${token.stderr}${token.stdout}`);

  const dir = join(server.dir, name);
  mkdirSync(join(dir, 'public'), { recursive: true, mode: 0o755 });
  chmodSync(dir, 0o755);
  const socketPath = join(dir, 'public', 'api.sock');
  const conf = join(dir, 'agent.conf');
  writeFileSync(
    conf,
    `agent {
    data_dir = "${dir}/data"
    log_level = "DEBUG"
    trust_domain = "example.org"
    server_address = "127.0.0.1"
    server_port = ${server.port}
    socket_path = "${socketPath}"
    insecure_bootstrap = true
    experimental {
        sync_interval = "500ms"
    }
}
plugins {
    KeyManager "memory" {
        plugin_data {}
    }
    NodeAttestor "join_token" {
        plugin_data {}
    }
    WorkloadAttestor "unix" {
        plugin_data {
${opts.unixPluginData ?? ''}
        }
    }
}
`,
  );
  const child = spawn(
    process.execPath,
    [AGENT_BIN, 'run', '-config', conf, '-joinToken', match[1] as string],
    { cwd: dir },
  );
  const log = collect(child);
  await waitFor(
    async () => (await runCli('agent', ['healthcheck', '-socketPath', socketPath])).code === 0,
    child,
    log,
    'spire-agent healthy',
  );
  return {
    socketPath,
    agentId: alias,
    log,
    cli: (args, o) => runCli('agent', [...args, '-socketPath', socketPath], o),
    stop: () => stopChild(child),
  };
}

/**
 * Waits until the agent hands a workload of `uid` (and `gid`, default `uid`) an X509-SVID for
 * every ID of `ids`, asking as that workload would (`spire-agent api fetch x509 -output json`
 * run under them). Entries reach
 * the agent at its next sync and their SVIDs are minted after that, one sync apart or more when
 * the machine is busy: a test relying on an entry's SVID must wait for it, not for a time.
 * Resolves with the SPIFFE IDs of that last answer (sorted).
 */
export async function waitForX509Svids(
  agent: AgentProcess,
  ids: readonly string[],
  uid: number,
  { gid = uid, timeoutMs = 60_000 }: { gid?: number; timeoutMs?: number } = {},
): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    const res = await agent.cli(['api', 'fetch', 'x509', '-output', 'json'], { uid, gid });
    if (res.code === 0) {
      const got = (JSON.parse(res.stdout) as { svids?: { spiffe_id: string }[] }).svids ?? [];
      const have = got.map((s) => s.spiffe_id).sort();
      if (ids.every((id) => have.includes(id))) return have;
      last = `got ${have.join(', ') || 'none'}`;
    } else {
      last = `exit ${res.code}: ${res.stderr.trim()}`;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `uid ${uid} gid ${gid} not issued ${ids.join(', ')} in ${timeoutMs} ms (${last})`,
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

function collect(child: ChildProcess): () => string {
  const chunks: string[] = [];
  child.stdout?.on('data', (d: Buffer) => chunks.push(d.toString()));
  child.stderr?.on('data', (d: Buffer) => chunks.push(d.toString()));
  return () => chunks.join('');
}

async function waitFor(
  check: () => Promise<boolean>,
  child: ChildProcess,
  log: () => string,
  what: string,
  timeoutMs = 30_000,
) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`${what}: process exited ${child.exitCode}\n${log()}`);
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what}: not within ${timeoutMs} ms\n${log()}`);
}

/** SIGTERM, then SIGKILL after 5 s; resolves when the process is gone. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await gone;
  clearTimeout(timer);
}

/** True when `path` exists. */
export const exists = existsSync;
