import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startAgent } from '../../src/agent/agent.js';
import { buildAgentConfig } from '../../src/agent/config/index.js';
import { parseConfigText } from '../../src/common/config/index.js';
import type { RunningServer } from '../../src/server/server.js';
import { captureLog, type Lines, startRealServer, writeBundle } from './runtime/real-server.js';

const AGENT_ID = 'spiffe://example.org/spire/agent/join_token/deny-1';

let dir: string;
let server: RunningServer;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'agent-denied-'));
  server = await startRealServer(dir);
  await writeBundle(server, join(dir, 'bundle.pem'));
  const expiresAt = Math.floor(Date.now() / 1000) + 600;
  await server.ctx.datastore.createJoinToken({ token: 'deny-1', expiresAt });
});

afterEach(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

/** A join-token agent syncing every 100 ms. */
async function start(lines: Lines) {
  const config = buildAgentConfig(
    parseConfigText(
      `agent {
        trust_domain = "example.org"
        data_dir = "${dir}/agent"
        server_address = "127.0.0.1"
        server_port = ${server.tcpPort}
        trust_bundle_path = "${dir}/bundle.pem"
        join_token = "deny-1"
        experimental { sync_interval = "100ms" }
      }
      plugins {
        KeyManager "disk" { plugin_data { directory = "${dir}/agent" } }
        NodeAttestor "join_token" { plugin_data {} }
      }`,
      join(dir, 'agent.conf'),
    ),
  );
  return startAgent(config, { log: captureLog(lines) });
}

describe('agent reaction to PermissionDenied reasons (reference §3.8, §4.4)', () => {
  it('AGENT_BANNED: logs the ban, deletes its stored SVID and stops (D12)', async () => {
    const lines: Lines = [];
    const agent = await start(lines);
    const node = await server.ctx.datastore.fetchAttestedNode(AGENT_ID);
    if (!node) throw new Error('no attested node');
    await server.ctx.datastore.updateAttestedNode(
      { ...node, certSerialNumber: '' },
      { certSerialNumber: true },
    );
    await server.ctx.changed.nodes([AGENT_ID]);

    const exit = await agent.done;

    expect(exit).toMatchObject({ reason: 'banned', error: { code: 'ERR_AGENT_RUNTIME_BANNED' } });
    expect(lines.some((l) => l.msg === 'Agent is banned: removing SVID and shutting down')).toBe(
      true,
    );
    const stored = JSON.parse(await readFile(join(dir, 'agent', 'agent-data.json'), 'utf8'));
    expect(stored.svid).toEqual([]);
  });

  it('AGENT_NOT_ATTESTED (evicted): attests again; a used join token is refused, so it stops', async () => {
    const lines: Lines = [];
    const agent = await start(lines);
    await server.ctx.datastore.deleteAttestedNode(AGENT_ID);
    await server.ctx.changed.nodes([AGENT_ID]);

    const exit = await agent.done;

    expect(lines.some((l) => l.msg === 'Agent needs to attest again')).toBe(true);
    expect(exit).toMatchObject({
      reason: 'failed',
      error: { code: 'ERR_AGENT_RUNTIME_REATTEST_FAILED' },
    });
  });
});
