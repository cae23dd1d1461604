import { once } from 'node:events';
import type tls from 'node:tls';
import * as grpc from '@grpc/grpc-js';
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
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spiffeChannelCredentials, spiffeServerCredentials } from '../../src/grpc/index.js';
import { echoClient, echo as grpcEcho, startEchoServer } from '../grpc/support.js';
import { createCa } from '../support/certs.js';
import { FakeWorkloadApi } from '../support/fake-workload-api.js';
import {
  svidEntry,
  type TestTrustDomain,
  trustDomain,
  x509Response,
} from '../workloadapi/support.js';
import { connect, echo, listen } from './support.js';

// Rotation end to end inside the SDK: X509Source fed by a fake Workload API (one per workload, as
// two agents' sockets would be), SPIFFE TLS and gRPC endpoints built on those sources.
const FAST = { initialDelayMs: 5, maxDelayMs: 20 };
const td = trustDomain('example.org');
const serverId = SpiffeId.fromString('spiffe://example.org/server');
const member = matchMemberOf(TrustDomain.fromString('example.org'));

let serverAgent: FakeWorkloadApi;
let clientAgent: FakeWorkloadApi;
const closers: { close(): void }[] = [];
const sockets: tls.TLSSocket[] = [];

beforeEach(async () => {
  serverAgent = await FakeWorkloadApi.start();
  clientAgent = await FakeWorkloadApi.start();
});
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const c of closers.splice(0)) c.close();
  await serverAgent.close();
  await clientAgent.close();
});

async function sourceFrom(agent: FakeWorkloadApi, path: string, ca: TestTrustDomain = td) {
  agent.x509Svid.set(x509Response([svidEntry(ca, path)]));
  const source = await X509Source.create({ address: agent.address, backoff: FAST });
  closers.push(source);
  return source;
}

/** Pushes a new SVID (issued by `issuer`, bundle `bundleOf`) and waits for the source to apply it. */
async function rotate(
  agent: FakeWorkloadApi,
  source: X509Source,
  path: string,
  issuer: TestTrustDomain,
  bundleOf: TestTrustDomain[],
) {
  const entry = svidEntry(issuer, path);
  entry.bundle = Buffer.concat(bundleOf.map((t) => t.ca.der));
  const updated = once(source, 'updated');
  agent.x509Svid.set(x509Response([entry]));
  await updated;
  return source.getX509Svid();
}

/** The peer leaf's serial, upper-case hex (getPeerCertificate: see the peerSpiffeId note). */
function serialOf(socket: tls.TLSSocket): string {
  return socket.getPeerCertificate()?.serialNumber ?? '';
}

describe('rotation through X509Source', () => {
  it('tls: a new server SVID reaches new connections, the open one keeps echoing', async () => {
    const serverSource = await sourceFrom(serverAgent, '/server');
    const server = createMtlsServer({ source: serverSource, authorize: member }, (s) => s.pipe(s));
    closers.push(server);
    const port = await listen(server);
    const clientSource = await sourceFrom(clientAgent, '/client');
    const dial = async () => {
      const s = await connect(port, mtlsClientOptions(clientSource, matchId(serverId)));
      sockets.push(s);
      return s;
    };
    const open = await dial();
    const before = serialOf(open);

    const next = await rotate(serverAgent, serverSource, '/server', td, [td]);
    const fresh = await dial();

    expect(serialOf(fresh)).toBe(next.certificates[0]?.serialNumber);
    expect(serialOf(fresh)).not.toBe(before);
    expect(await echo(open, 'still here')).toBe('still here');
    expect(peerSpiffeId(fresh).toString()).toBe(serverId.toString());
    expect(peerSpiffeId(fresh).toString()).toBe(serverId.toString());
  });

  it('tls: a CA rotation is accepted once the peer has the new authority in its bundle', async () => {
    const nextCa: TestTrustDomain = { name: 'example.org', ca: createCa() };
    const serverSource = await sourceFrom(serverAgent, '/server');
    const server = createMtlsServer({ source: serverSource, authorize: member }, (s) => s.pipe(s));
    closers.push(server);
    const port = await listen(server);
    const clientSource = await sourceFrom(clientAgent, '/client');

    // The agents first publish the next authority beside the current one, then sign with it.
    await rotate(clientAgent, clientSource, '/client', td, [td, nextCa]);
    await rotate(serverAgent, serverSource, '/server', nextCa, [td, nextCa]);
    const socket = await connect(port, mtlsClientOptions(clientSource, matchId(serverId)));
    sockets.push(socket);

    expect(await echo(socket, 'new ca')).toBe('new ca');
  });

  it('grpc: server and client rotations reach new channels', async () => {
    const serverSource = await sourceFrom(serverAgent, '/server');
    const { server, port, callers } = await startEchoServer(
      spiffeServerCredentials(serverSource, member),
      (call) => call.getAuthContext()?.sslPeerCertificate?.serialNumber ?? '',
    );
    closers.push({ close: () => server.forceShutdown() });
    const clientSource = await sourceFrom(clientAgent, '/client');
    const call = async () => {
      const client = echoClient(port, spiffeChannelCredentials(clientSource, matchId(serverId)));
      closers.push(client);
      return grpcEcho(client, 'x');
    };
    expect(await call()).toBe('x');

    const nextClient = await rotate(clientAgent, clientSource, '/client', td, [td]);
    await rotate(serverAgent, serverSource, '/server', td, [td]);

    expect(await call()).toBe('x');
    expect(callers).toHaveLength(2);
    expect(callers[1]).toBe(nextClient.certificates[0]?.serialNumber);
    expect(callers[0]).not.toBe(callers[1]);
  });

  it('grpc: a closed source makes new connections fail instead of using stale material', async () => {
    const serverSource = await sourceFrom(serverAgent, '/server');
    const { server, port } = await startEchoServer(
      spiffeServerCredentials(serverSource, member),
      () => '',
    );
    closers.push({ close: () => server.forceShutdown() });
    const clientSource = await sourceFrom(clientAgent, '/client');
    clientSource.close();

    const client = echoClient(port, spiffeChannelCredentials(clientSource, matchId(serverId)));
    closers.push(client);
    const err = (await grpcEcho(client, 'x').catch((e) => e)) as grpc.ServiceError;

    expect(err.code).toBe(grpc.status.UNAVAILABLE);
  });
});
