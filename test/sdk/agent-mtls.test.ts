import { execFile } from 'node:child_process';
import { once } from 'node:events';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import {
  createMtlsServer,
  matchId,
  matchMemberOf,
  mtlsClientOptions,
  peerSpiffeId,
  SpiffeId,
  TrustDomain,
  X509Source,
} from '@spire-ts/spiffe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  callerSpiffeId,
  spiffeChannelCredentials,
  spiffeServerCredentials,
} from '../../packages/spiffe/src/grpc/index.js';
import { echo, echoClient, startEchoServer } from '../../packages/spiffe/test/grpc/support.js';
import {
  type AgentProcess,
  buildOnce,
  runtimeAvailable,
  type ServerProcess,
  startAgent,
  startServer,
  waitForX509Svids,
} from '../e2e/support/deployment.js';

// The SDK against the real spire-ts server and agent (processes started by the e2e harness):
// workloads of two uids get different identities from the agent and talk SPIFFE mTLS on loopback.
// Nothing here waits for a time: each test starts once the agent has issued every SVID it uses
// (entries reach the agent at a sync, their SVIDs are minted after it, later on a busy machine),
// and only the rotation test uses a short-lived SVID, so the others never depend on a rotation
// landing before their SVID expires.
buildOnce();
const runtime = runtimeAvailable();
const UID = process.getuid?.() ?? 0;
if (!runtime.ok) console.warn(`sdk agent tests skipped: missing ${runtime.missing.join(', ')}`);
if (UID !== 0) console.warn('sdk agent tests skipped: running a second workload uid needs root');
const NOBODY = 65534;
const CLIENT = fileURLToPath(new URL('./support/mtls-client.mjs', import.meta.url));
const SERVER_ID = 'spiffe://example.org/sdk/server';
const ROTATING_ID = 'spiffe://example.org/sdk/rotating';
const CLIENT_ID = 'spiffe://example.org/sdk/client';
const INTRUDER_ID = 'spiffe://example.org/sdk/intruder';
const ROTATING_TTL_S = 6;
const td = TrustDomain.fromString('example.org');

interface ClientReport {
  uid: number;
  id?: string;
  ids?: string[];
  server?: string;
  reply?: string | null;
  code?: string | null;
  message?: string;
}

describe.skipIf(!runtime.ok || UID !== 0)('SDK against the real agent', () => {
  let server: ServerProcess;
  let agent: AgentProcess;
  let source: X509Source;
  let rotating: X509Source;
  const cleanup: { close(): void }[] = [];

  beforeAll(async () => {
    server = await startServer();
    agent = await startAgent(server, { name: 'sdkagent' });
    await entry(SERVER_ID, `unix:uid:${UID}`);
    await entry(ROTATING_ID, `unix:uid:${UID}`, '-x509SVIDTTL', String(ROTATING_TTL_S));
    await entry(CLIENT_ID, `unix:uid:${NOBODY}`);
    await entry(INTRUDER_ID, `unix:uid:${NOBODY}`);
    await waitForX509Svids(agent, [SERVER_ID, ROTATING_ID], UID);
    await waitForX509Svids(agent, [CLIENT_ID, INTRUDER_ID], NOBODY);
    source = await sourceOf(SERVER_ID);
    rotating = await sourceOf(ROTATING_ID);
  }, 180_000);
  afterAll(async () => {
    for (const c of cleanup.splice(0)) c.close();
    await agent?.stop();
    await server?.stop();
  });

  /** An X509Source of this process handing out the SVID of `id`. */
  async function sourceOf(id: string): Promise<X509Source> {
    const created = await X509Source.create({
      address: `unix://${agent.socketPath}`,
      picker: (svids) => svids.find((s) => s.id.toString() === id),
      timeoutMs: 30_000,
    });
    cleanup.push(created);
    return created;
  }

  async function entry(spiffeId: string, selector: string, ...flags: string[]) {
    const res = await server.cli([
      'entry',
      'create',
      '-parentID',
      agent.agentId,
      '-spiffeID',
      spiffeId,
      '-selector',
      selector,
      ...flags,
    ]);
    expect(res.code, res.stderr).toBe(0);
  }

  /** An echo server presenting an SVID of this process; records client IDs and refusals. */
  async function echoServer(
    authorize = matchId(SpiffeId.fromString(CLIENT_ID)),
    presented: X509Source = source,
  ) {
    const seen: string[] = [];
    const refusals: { code: string; message: string }[] = [];
    const tlsServer = createMtlsServer({ source: presented, authorize }, (socket) => {
      seen.push(peerSpiffeId(socket).toString());
      socket.on('error', () => {});
      socket.pipe(socket);
    });
    tlsServer.on('tlsClientError', (err: Error & { code: string }) =>
      refusals.push({ code: err.code, message: err.message }),
    );
    cleanup.push(tlsServer);
    await new Promise<void>((r) => tlsServer.listen(0, '127.0.0.1', r));
    return { port: (tlsServer.address() as { port: number }).port, seen, refusals };
  }

  function runClient(wantId: string, port: number): Promise<ClientReport> {
    return new Promise((resolve, reject) =>
      execFile(
        process.execPath,
        [CLIENT, agent.socketPath, wantId, String(port), SERVER_ID],
        { uid: NOBODY, gid: NOBODY, timeout: 30_000 },
        (err, stdout, stderr) => {
          const line = stdout.trim().split('\n').pop() ?? '';
          if (!line) reject(new Error(`client printed nothing: ${err?.message} ${stderr}`));
          else resolve(JSON.parse(line) as ClientReport);
        },
      ),
    );
  }

  it('two workloads of different uids get different identities and complete mTLS both ways', async () => {
    const { port, seen } = await echoServer();

    const report = await runClient(CLIENT_ID, port);

    expect(source.getX509Svids().map((s) => s.id.toString())).toEqual(
      expect.arrayContaining([SERVER_ID, ROTATING_ID]),
    );
    expect(source.getX509Svids()).toHaveLength(2);
    expect(report).toEqual({
      uid: NOBODY,
      id: CLIENT_ID,
      ids: [CLIENT_ID, INTRUDER_ID],
      server: SERVER_ID,
      reply: `hello from ${CLIENT_ID}`,
    });
    expect(seen).toEqual([CLIENT_ID]);
  });

  it('the server refuses an agent-issued SVID whose ID it does not authorize', async () => {
    const { port, seen, refusals } = await echoServer();

    const report = await runClient(INTRUDER_ID, port);

    expect(report.reply ?? null).toBeNull();
    expect(seen).toEqual([]);
    expect(refusals).toEqual([
      {
        code: 'ERR_TLS_PEER_UNAUTHORIZED',
        message: `client ${INTRUDER_ID} is not authorized: unexpected spiffe id ${INTRUDER_ID}: expected ${CLIENT_ID}`,
      },
    ]);
  });

  it('an agent rotation reaches new connections while an open one keeps working', async () => {
    const { port } = await echoServer(matchMemberOf(td), rotating);
    const serial = () => rotating.getX509Svid().certificates[0]?.serialNumber;
    // Every SVID the source hands out from now on: a new connection presents one of them.
    const handedOut = [serial()];
    const onUpdate = () => handedOut.push(serial());
    rotating.on('updated', onUpdate);
    const open = await dial(port, ROTATING_ID);
    const before = open.getPeerCertificate().serialNumber;

    // The agent renews at half of the 6 s TTL; other updates (bundles) may come first.
    while (serial() === before) await once(rotating, 'updated');
    const fresh = await dial(port, ROTATING_ID);
    rotating.off('updated', onUpdate);

    // Another rotation may land during the handshake: the SVID is then a later one.
    const freshSerial = fresh.getPeerCertificate().serialNumber;
    expect(freshSerial).not.toBe(before);
    expect(handedOut.slice(handedOut.indexOf(before) + 1)).toContain(freshSerial);
    expect(await echoOnce(open, 'still open')).toBe('still open');
    open.destroy();
    fresh.destroy();
  }, 30_000);

  it('grpc-js credentials work with agent-issued SVIDs both ways', async () => {
    const serverSpiffeId = SpiffeId.fromString(SERVER_ID);
    const grpcServer = await startEchoServer(
      spiffeServerCredentials(source, matchId(serverSpiffeId)),
      (call) => callerSpiffeId(call).toString(),
    );
    cleanup.push({ close: () => grpcServer.server.forceShutdown() });
    const client = echoClient(
      grpcServer.port,
      spiffeChannelCredentials(source, matchId(serverSpiffeId)),
    );
    cleanup.push(client);

    expect(await echo(client, 'over grpc')).toBe('over grpc');
    expect(grpcServer.callers).toEqual([SERVER_ID]);
  });

  it('a restarted agent is reconnected to and the source recovers', async () => {
    const errors: unknown[] = [];
    source.on('watchError', (e) => errors.push(e));
    await agent.stop();
    await until(() => errors.length > 0, 10_000);
    // Listening before the start: the source may reconnect while startAgent still polls.
    const recovered = once(source, 'updated');

    agent = await startAgent(server, { name: 'sdkagent' });
    await recovered;
    while (!source.getX509Svids().some((s) => s.id.toString() === SERVER_ID)) {
      await once(source, 'updated');
    }
    const { port } = await echoServer(matchMemberOf(td));
    const socket = await dial(port);

    expect(peerSpiffeId(socket).toString()).toBe(SERVER_ID);
    expect(await echoOnce(socket, 'back')).toBe('back');
    socket.destroy();
  }, 60_000);

  /** An in-process client presenting this process's SVID, expecting the server's ID. */
  function dial(port: number, serverId = SERVER_ID): Promise<tls.TLSSocket> {
    const options = mtlsClientOptions(source, matchId(SpiffeId.fromString(serverId)));
    return new Promise((resolve, reject) => {
      const socket = tls.connect({ host: '127.0.0.1', port, ...options }, () => resolve(socket));
      socket.once('error', reject);
    });
  }
});

function echoOnce(socket: tls.TLSSocket, text: string): Promise<string | null> {
  return new Promise((resolve) => {
    socket.once('data', (d: Buffer) => resolve(d.toString()));
    socket.once('close', () => resolve(null));
    socket.write(text);
  });
}

async function until(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
