// The server API listeners across a server SVID rotation: the TCP port stays open, a connection
// opened before keeps working with the SVID it saw, and a new connection is served the new SVID.
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import http2 from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { create } from '@bufbuild/protobuf';
import type { ConnectRouter } from '@connectrpc/connect';
import { TrustDomain } from '@spire-ts/spiffe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { realClock } from '../../../src/common/clock/index.js';
import { createLogger } from '../../../src/common/log/index.js';
import {
  Health,
  HealthCheckResponseSchema,
  HealthCheckResponse_ServingStatus as Serving,
} from '../../../src/gen/grpc/health/v1/health_pb.js';
import { CaManager, MemoryCaJournalStore } from '../../../src/server/ca/index.js';
import { CredentialBuilder } from '../../../src/server/credtemplate/index.js';
import { MemoryKeyManager } from '../../../src/server/plugin/keymanager/index.js';
import { type ApiListeners, startApiListeners } from '../../../src/server/runtime/listeners.js';
import { ServerSvidRotator, toPem } from '../../../src/server/runtime/server-svid.js';

const log = createLogger({ stream: { write: () => true } }).logger;
let dir: string;
let ca: CaManager;
let svid: ServerSvidRotator;
let listeners: ApiListeners;
const sessions: http2.ClientHttp2Session[] = [];

function routes(router: ConnectRouter) {
  router.service(Health, {
    check: () => create(HealthCheckResponseSchema, { status: Serving.SERVING }),
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'listeners-'));
  const builder = new CredentialBuilder({
    trustDomain: TrustDomain.fromString('example.org'),
    clock: realClock,
  });
  ca = new CaManager({
    builder,
    keyManager: new MemoryKeyManager(),
    journal: new MemoryCaJournalStore(),
  });
  await ca.start();
  ca.stop();
  svid = new ServerSvidRotator({ ca, clock: realClock, log });
  await svid.start();
  listeners = await startApiListeners({
    routes,
    interceptors: [],
    bindAddress: '127.0.0.1',
    bindPort: 0,
    socketPath: join(dir, 'private', 'api.sock'),
    svid,
    log,
  });
});
afterAll(async () => {
  for (const s of sessions) s.close();
  svid?.stop();
  await listeners?.close();
  await rm(dir, { recursive: true, force: true });
});

/** A TLS h2 connection trusting the CA bundle (the server SVID names no host). */
async function connect(): Promise<http2.ClientHttp2Session> {
  const bundle = ca.bundle().x509Authorities.map((d) => toPem(d));
  const session = http2.connect(`https://127.0.0.1:${listeners.tcpPort}`, {
    ca: bundle,
    checkServerIdentity: () => undefined,
  });
  sessions.push(session);
  await once(session, 'connect');
  return session;
}

/** The grpc-status of one Health/Check call made by hand on `session`. */
async function check(session: http2.ClientHttp2Session): Promise<string | undefined> {
  const stream = session.request({
    ':method': 'POST',
    ':path': '/grpc.health.v1.Health/Check',
    'content-type': 'application/grpc',
    te: 'trailers',
  });
  stream.end(Buffer.of(0, 0, 0, 0, 0));
  stream.resume();
  const [trailers] = (await once(stream, 'trailers')) as [http2.IncomingHttpHeaders];
  return trailers['grpc-status'] as string | undefined;
}

function presented(session: http2.ClientHttp2Session): Buffer {
  return (session.socket as TLSSocket).getPeerCertificate().raw;
}

describe('server SVID rotation on the API listener (reference §3.6)', () => {
  it('keeps the port and open connections, and serves new connections the new SVID', async () => {
    const before = await connect();
    const oldLeaf = svid.current.chain[0] as Buffer;
    expect(presented(before)).toEqual(oldLeaf);
    const port = listeners.tcpPort;

    await svid.rotate();
    const newLeaf = svid.current.chain[0] as Buffer;

    expect(newLeaf.equals(oldLeaf)).toBe(false);
    expect(await check(before)).toBe('0');
    expect(presented(before)).toEqual(oldLeaf);
    const after = await connect();
    expect(presented(after)).toEqual(newLeaf);
    expect(new X509Certificate(presented(after)).subjectAltName).toBe(
      'URI:spiffe://example.org/spire/server',
    );
    expect(await check(after)).toBe('0');
    expect(listeners.tcpPort).toBe(port);
  });
});
