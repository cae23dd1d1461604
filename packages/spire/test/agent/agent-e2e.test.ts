import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyX509Svid } from '@spire-ts/spiffe';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AgentHandle } from '../../src/agent/agent.js';
import type { RunningServer } from '../../src/server/server.js';
import {
  agentConfig,
  type Lines,
  runAgent,
  startRealServer,
  writeBundle,
} from './runtime/real-server.js';

const AGENT_ID = 'spiffe://example.org/spire/agent/join_token/tok-1';
const UID = [{ type: 'unix', value: 'uid:1000' }];

let dir: string;
let server: RunningServer | undefined;
let agents: AgentHandle[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'agent-e2e-'));
  server = await startRealServer(dir);
  await writeBundle(server, join(dir, 'bundle.pem'));
  const now = Math.floor(Date.now() / 1000);
  await server.ctx.datastore.createJoinToken({ token: 'tok-1', expiresAt: now + 600 });
  await addEntry(server, 'web', 'spiffe://example.org/web');
});

afterEach(async () => {
  for (const agent of agents) await agent.stop();
  agents = [];
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

async function addEntry(s: RunningServer, id: string, spiffeId: string) {
  await s.ctx.datastore.createEntry({
    id,
    spiffeId,
    parentId: AGENT_ID,
    selectors: [{ type: 'unix', value: 'uid:1000' }],
  });
  await s.ctx.changed.entries([id]);
}

async function start(lines: Lines) {
  const agent = await runAgent(agentConfig(dir, server?.tcpPort ?? 0, 'tok-1'), lines);
  agents.push(agent);
  return agent;
}

describe('spire-agent against the real server', () => {
  it('attests with a join token, syncs its entry and serves a workload SVID chained to the bundle', async () => {
    const lines: Lines = [];
    const agent = await start(lines);

    expect(agent.agentId().toString()).toBe(AGENT_ID);
    expect(agent.view.ready()).toBe(true);
    const state = agent.view.snapshot(UID);
    expect(state.identities.map((i) => i.spiffeId.toString())).toEqual([
      'spiffe://example.org/web',
    ]);
    const chain = state.identities[0]?.certChainDer ?? new Uint8Array();
    expect(verifyX509Svid(chain, state.bundle).id.toString()).toBe('spiffe://example.org/web');
    expect(lines.some((l) => l.msg === 'Node attestation was successful')).toBe(true);
  });

  it('keeps agent-data.json, agent_svid.der, bundle.der and keys.json in data_dir with mode 0600', async () => {
    await start([]);
    for (const name of ['agent-data.json', 'agent_svid.der', 'bundle.der', 'keys.json']) {
      expect({ name, mode: (await stat(join(dir, 'agent', name))).mode & 0o777 }).toEqual({
        name,
        mode: 0o600,
      });
    }
  });

  it('restarts with the stored SVID without attesting again: the used token is not sent (D25)', async () => {
    const first = await start([]);
    await first.stop();

    const lines: Lines = [];
    const second = await start(lines);

    expect(second.agentId().toString()).toBe(AGENT_ID);
    expect(lines.some((l) => l.msg === 'SVID loaded')).toBe(true);
    expect(lines.some((l) => l.msg === 'Node attestation was successful')).toBe(false);
    expect(second.view.snapshot(UID).identities).toHaveLength(1);
  });

  it('stop() returns after the trust bundle a sync brought is written to data_dir', async () => {
    const agent = await start([]);
    const other = await startRealServer(join(dir, 'other'));
    let added: Buffer;
    try {
      added = other.ctx.ca.bundle().x509Authorities[0] as Buffer;
    } finally {
      await other.close();
    }
    const s = server as RunningServer;
    await s.ctx.datastore.appendBundle({
      trustDomain: 'example.org',
      x509Authorities: [{ asn1: added, tainted: false }],
      jwtAuthorities: [],
      refreshHint: 0,
      sequenceNumber: 0,
    });
    await s.ctx.changed.bundles();

    await agent.manager.synchronize();
    await agent.stop();

    const stored = await readFile(join(dir, 'agent', 'bundle.der'));
    expect(stored.includes(added)).toBe(true);
  });

  it('renews its SVID through RenewAgent and keeps syncing with the new one', async () => {
    const agent = await start([]);
    const before = await readFile(join(dir, 'agent', 'agent_svid.der'));
    await agent.rotateSvid();
    const after = await readFile(join(dir, 'agent', 'agent_svid.der'));
    expect(after.equals(before)).toBe(false);

    await addEntry(server as RunningServer, 'api', 'spiffe://example.org/api');
    await agent.manager.synchronize();
    expect(agent.view.snapshot(UID).identities.map((i) => i.spiffeId.toString())).toEqual([
      'spiffe://example.org/api',
      'spiffe://example.org/web',
    ]);
  });

  it('serves cached SVIDs while the server is down and catches up when it returns', async () => {
    const agent = await start([]);
    const port = server?.tcpPort ?? 0;
    await server?.close();
    server = undefined;

    await expect(agent.manager.synchronize()).rejects.toMatchObject({
      code: 'ERR_AGENT_CLIENT_RPC',
    });
    expect(agent.view.snapshot(UID).identities.map((i) => i.spiffeId.toString())).toEqual([
      'spiffe://example.org/web',
    ]);

    server = await startRealServer(dir, port);
    await addEntry(server, 'api', 'spiffe://example.org/api');
    await agent.manager.synchronize();
    expect(agent.view.snapshot(UID).identities.map((i) => i.spiffeId.toString())).toEqual([
      'spiffe://example.org/api',
      'spiffe://example.org/web',
    ]);
  });
});
