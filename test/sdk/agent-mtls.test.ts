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
} from '../e2e/support/deployment.js';

// The SDK against the real spire-ts server and agent (processes started by the e2e harness):
// workloads of two uids get different identities from the agent and talk SPIFFE mTLS on loopback.
buildOnce();
const runtime = runtimeAvailable();
const UID = process.getuid?.() ?? 0;
if (!runtime.ok) console.warn(`sdk agent tests skipped: missing ${runtime.missing.join(', ')}`);
if (UID !== 0) console.warn('sdk agent tests skipped: running a second workload uid needs root');
const NOBODY = 65534;
const CLIENT = fileURLToPath(new URL('./support/mtls-client.mjs', import.meta.url));
const SERVER_ID = 'spiffe://example.org/sdk/server';
const CLIENT_ID = 'spiffe://example.org/sdk/client';
const INTRUDER_ID = 'spiffe://example.org/sdk/intruder';
const ROTATING_TTL_S = 6;
const td = TrustDomain.fromString('example.org');

interface ClientReport {
  uid: number;
  id?: string;
  server?: string;
  reply?: string | null;
  code?: string | null;
  message?: string;
}

describe.skipIf(!runtime.ok || UID !== 0)('SDK against the real agent', () => {
  let server: ServerProcess;
  let agent: AgentProcess;
  let source: X509Source;
  const cleanup: { close(): void }[] = [];

  beforeAll(async () => {
    server = await startServer();
    agent = await startAgent(server, { name: 'sdkagent' });
    await entry(SERVER_ID, `unix:uid:${UID}`, '-x509SVIDTTL', String(ROTATING_TTL_S));
    await entry(CLIENT_ID, `unix:uid:${NOBODY}`);
    await entry(INTRUDER_ID, `unix:uid:${NOBODY}`);
    source = await X509Source.create({ address: `unix://${agent.socketPath}`, timeoutMs: 30_000 });
    cleanup.push(source);
  }, 120_000);
  afterAll(async () => {
    for (const c of cleanup.splice(0)) c.close();
    await agent?.stop();
    await server?.stop();
  });

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

  /** An echo server presenting this process's SVID; records client IDs and refusals. */
  async function echoServer(authorize = matchId(SpiffeId.fromString(CLIENT_ID))) {
    const seen: string[] = [];
    const refusals: { code: string; message: string }[] = [];
    const tlsServer = createMtlsServer({ source, authorize }, (socket) => {
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

    expect(source.getX509Svid().id.toString()).toBe(SERVER_ID);
    expect(report).toEqual({
      uid: NOBODY,
      id: CLIENT_ID,
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
    const { port } = await echoServer(matchMemberOf(td));
    const open = await dial(port);
    const before = open.getPeerCertificate().serialNumber;

    // The agent renews at half of the 6 s TTL; other updates (bundles) may come first.
    while (source.getX509Svid().certificates[0]?.serialNumber === before) {
      await once(source, 'updated');
    }
    const fresh = await dial(port);

    expect(fresh.getPeerCertificate().serialNumber).not.toBe(before);
    expect(fresh.getPeerCertificate().serialNumber).toBe(
      source.getX509Svid().certificates[0]?.serialNumber,
    );
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

    agent = await startAgent(server, { name: 'sdkagent' });
    await once(source, 'updated');
    const { port } = await echoServer(matchMemberOf(td));
    const socket = await dial(port);

    expect(peerSpiffeId(socket).toString()).toBe(SERVER_ID);
    expect(await echoOnce(socket, 'back')).toBe('back');
    socket.destroy();
  }, 60_000);

  /** An in-process client presenting this process's SVID, expecting the server's ID. */
  function dial(port: number): Promise<tls.TLSSocket> {
    const options = mtlsClientOptions(source, matchId(SpiffeId.fromString(SERVER_ID)));
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
