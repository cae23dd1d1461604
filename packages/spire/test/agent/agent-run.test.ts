import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runAgent } from '../../src/cli/agent/run.js';
import type { CliIo } from '../../src/common/cli/command.js';
import type { RunningServer } from '../../src/server/server.js';
import { startRealServer, writeBundle } from './runtime/real-server.js';

let dir: string;
let server: RunningServer;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'agent-run-'));
  server = await startRealServer(dir);
  await writeBundle(server, join(dir, 'bundle.pem'));
  await server.ctx.datastore.createJoinToken({
    token: 'run-1',
    expiresAt: Math.floor(Date.now() / 1000) + 600,
  });
});

afterEach(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

function io(): CliIo & { err: string[] } {
  const err: string[] = [];
  return {
    err,
    stdout: { write: () => true },
    stderr: { write: (t: string) => err.push(t) },
    env: () => undefined,
    cwd: dir,
  };
}

async function writeConf(
  extra = '',
  keyManager = 'KeyManager "memory" { plugin_data {} }',
): Promise<string> {
  const path = join(dir, 'agent.conf');
  await writeFile(
    path,
    `agent {
      trust_domain = "example.org"
      data_dir = "${dir}/agent"
      server_address = "127.0.0.1"
      server_port = ${server.tcpPort}
      trust_bundle_path = "${dir}/bundle.pem"
      socket_path = "${dir}/public/api.sock"
      log_file = "${dir}/agent.log"
      ${extra}
    }
    plugins {
      ${keyManager}
      NodeAttestor "join_token" { plugin_data {} }
      WorkloadAttestor "unix" { plugin_data {} }
    }`,
  );
  return path;
}

/** Runs the agent with -joinToken until its Workload API socket is up, then stops it. */
async function serveThenStop(): Promise<number> {
  const conf = await writeConf();
  const controller = new AbortController();
  const running = runAgent(['-config', conf, '-joinToken', 'run-1'], io(), controller.signal);
  await waitFor(() => existsSync(join(dir, 'public', 'api.sock')));
  controller.abort();
  return running;
}

/** True once a timer has fired or been cleared. */
function isDone(timer: NodeJS.Timeout): boolean {
  return (timer as unknown as { _destroyed: boolean })._destroyed;
}

async function waitFor(check: () => boolean, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('spire-agent run', () => {
  it('attests with -joinToken, serves the Workload API socket, and exits 0 when stopped', async () => {
    expect(await serveThenStop()).toBe(0);
    expect(existsSync(join(dir, 'public', 'api.sock'))).toBe(false);
  });

  it('leaves no timer holding the process open once stopped (a stopped agent exits at once)', async () => {
    // Every timer of a second or more made while the agent runs, with where it was made.
    const made: { timer: NodeJS.Timeout; ms: number; where: string }[] = [];
    const original = globalThis.setTimeout;
    const tracked = ((fn: () => void, ms?: number) => {
      const timer = original(fn, ms);
      if ((ms ?? 0) >= 1000) {
        made.push({ timer, ms: ms ?? 0, where: new Error().stack?.split('\n')[2] ?? '' });
      }
      return timer;
    }) as typeof setTimeout;
    globalThis.setTimeout = tracked;
    try {
      expect(await serveThenStop()).toBe(0);
    } finally {
      globalThis.setTimeout = original;
    }
    // A Connect deadline left armed after a stream (attestation, entry sync) kept the real
    // process alive for up to 30 s after SIGTERM.
    const armed = made.filter(({ timer }) => timer.hasRef() && !isDone(timer));
    expect(armed.map(({ ms, where }) => `${ms} ms ${where.trim()}`)).toEqual([]);
  });

  it('docs/agent.md: restarted without -joinToken, it reuses the stored SVID and never needs the token again', async () => {
    const conf = await writeConf(
      '',
      `KeyManager "disk" { plugin_data { directory = "${dir}/agent" } }`,
    );
    const socket = join(dir, 'public', 'api.sock');
    const first = new AbortController();
    const running = runAgent(['-config', conf, '-joinToken', 'run-1'], io(), first.signal);
    await waitFor(() => existsSync(socket));
    first.abort();
    expect(await running).toBe(0);

    const second = new AbortController();
    const out = io();
    let exited: number | undefined;
    const again = runAgent(['-config', conf], out, second.signal).then((code) => {
      exited = code;
      return code;
    });
    await waitFor(() => existsSync(socket) || exited !== undefined);
    second.abort();

    expect([await again, out.err.join('')]).toEqual([0, '']);
    expect(readFileSync(join(dir, 'agent.log'), 'utf8')).toContain('SVID loaded');
  });

  it('without a stored SVID and without -joinToken, exits 1 saying to pass -joinToken', async () => {
    const conf = await writeConf();
    const code = await runAgent(['-config', conf], io(), new AbortController().signal);

    expect(code).toBe(1);
    expect(readFileSync(join(dir, 'agent.log'), 'utf8')).toContain(
      'join_token: no join token configured; pass -joinToken or set join_token',
    );
  });

  it('exits 1 naming the problem when the configuration is invalid', async () => {
    const conf = await writeConf('no_such_option = true');
    const out = io();
    const code = await runAgent(['-config', conf], out, new AbortController().signal);
    expect(code).toBe(1);
    expect(out.err.join('')).toContain('no_such_option');
  });

  it('exits 1 when attestation fails (unknown join token)', async () => {
    const conf = await writeConf();
    const code = await runAgent(
      ['-config', conf, '-joinToken', 'nope'],
      io(),
      new AbortController().signal,
    );
    expect(code).toBe(1);
  });
});
