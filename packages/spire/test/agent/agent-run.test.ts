import { existsSync } from 'node:fs';
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

async function writeConf(extra = ''): Promise<string> {
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
      KeyManager "memory" { plugin_data {} }
      NodeAttestor "join_token" { plugin_data {} }
      WorkloadAttestor "unix" { plugin_data {} }
    }`,
  );
  return path;
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
    const conf = await writeConf();
    const controller = new AbortController();
    const running = runAgent(['-config', conf, '-joinToken', 'run-1'], io(), controller.signal);
    await waitFor(() => existsSync(join(dir, 'public', 'api.sock')));
    controller.abort();
    expect(await running).toBe(0);
    expect(existsSync(join(dir, 'public', 'api.sock'))).toBe(false);
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
