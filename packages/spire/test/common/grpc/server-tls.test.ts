// serveGrpc: replacing the TLS certificate of a running listener (server SVID rotation without
// re-opening the port), and responses left uncompressed unless asked for.
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http2 from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';

import { create } from '@bufbuild/protobuf';
import type { ConnectRouter } from '@connectrpc/connect';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { type GrpcServer, serveGrpc } from '../../../src/common/grpc/index.js';
import {
  Health,
  HealthCheckResponseSchema,
  HealthCheckResponse_ServingStatus as Serving,
} from '../../../src/gen/grpc/health/v1/health_pb.js';

type Pem = { cert: string; key: string };

let dir: string;
let server: GrpcServer | undefined;
let first: Pem;
let second: Pem;
const sessions: http2.ClientHttp2Session[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'grpc-server-tls-'));
  first = selfSigned('first');
  second = selfSigned('second');
});
afterEach(async () => {
  for (const s of sessions.splice(0)) s.close();
  await server?.close();
  server = undefined;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// A Health service (test only): Check answers SERVING, List answers `services` statuses.
const SERVICES = 400;
function routes(router: ConnectRouter) {
  router.service(Health, {
    check: () => create(HealthCheckResponseSchema, { status: Serving.SERVING }),
    list: () => ({
      statuses: Object.fromEntries(
        Array.from({ length: SERVICES }, (_, i) => [`service-${i}`, { status: Serving.SERVING }]),
      ),
    }),
  });
}

async function tlsServer(extra: { compressMinBytes?: number } = {}): Promise<GrpcServer> {
  return serveGrpc({
    routes,
    ...extra,
    listen: {
      kind: 'tcp',
      host: '127.0.0.1',
      port: 0,
      tls: { ...first, requestCert: true, rejectUnauthorized: false },
    },
  });
}

/** An h2 connection that trusts both test certificates. */
async function connect(port: number): Promise<http2.ClientHttp2Session> {
  const session = http2.connect(`https://127.0.0.1:${port}`, { ca: [first.cert, second.cert] });
  sessions.push(session);
  await once(session, 'connect');
  return session;
}

/** The certificate the server presented on this connection, as PEM-comparable DER. */
function presented(session: http2.ClientHttp2Session): Buffer {
  return (session.socket as TLSSocket).getPeerCertificate().raw;
}

function der(pem: Pem): Buffer {
  return new X509Certificate(pem.cert).raw;
}

/** One unary gRPC call by hand: the grpc-status, response headers and the raw response body. */
async function call(
  session: http2.ClientHttp2Session,
  method: 'Check' | 'List',
  headers: Record<string, string> = {},
): Promise<{ status: string | undefined; headers: http2.IncomingHttpHeaders; body: Buffer }> {
  const stream = session.request({
    ':method': 'POST',
    ':path': `/grpc.health.v1.Health/${method}`,
    'content-type': 'application/grpc',
    te: 'trailers',
    ...headers,
  });
  stream.end(Buffer.of(0, 0, 0, 0, 0));
  const [response] = (await once(stream, 'response')) as [http2.IncomingHttpHeaders];
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  const [trailers] = (await once(stream, 'trailers')) as [http2.IncomingHttpHeaders];
  await once(stream, 'close');
  const status = trailers['grpc-status'] ?? response['grpc-status'];
  return { status: status as string | undefined, headers: response, body: Buffer.concat(chunks) };
}

describe('GrpcServer.updateTls (server SVID rotation without a new listener)', () => {
  it('an open connection keeps working and a new connection sees the new certificate', async () => {
    server = await tlsServer();
    const port = server.port as number;
    const before = await connect(port);
    expect((await call(before, 'Check')).status).toBe('0');

    server.updateTls(second);

    expect((await call(before, 'Check')).status).toBe('0');
    expect(presented(before)).toEqual(der(first));
    const after = await connect(port);
    expect(presented(after)).toEqual(der(second));
    expect((await call(after, 'Check')).status).toBe('0');
    expect(server.port).toBe(port);
  });

  it('keeps the previous certificate when the new key does not load (ERR_GRPC_INVALID_OPTIONS)', async () => {
    server = await tlsServer();
    const broken = { cert: second.cert, key: 'not a key' };

    expect(() => server?.updateTls(broken)).toThrow(
      expect.objectContaining({ code: 'ERR_GRPC_INVALID_OPTIONS' }),
    );
    const session = await connect(server.port as number);
    expect(presented(session)).toEqual(der(first));
  });

  it('refuses a listener that serves no TLS (ERR_GRPC_INVALID_OPTIONS)', async () => {
    server = await serveGrpc({ routes, listen: { kind: 'tcp', host: '127.0.0.1', port: 0 } });

    expect(() => server?.updateTls(second)).toThrow(
      expect.objectContaining({ code: 'ERR_GRPC_INVALID_OPTIONS' }),
    );
  });
});

describe('serveGrpc response compression', () => {
  // The gRPC length-prefixed message starts with its compressed flag (0 or 1).
  it.each([
    ['not compressed by default, as a grpc-go server answers', undefined, 0],
    ['compressed past compressMinBytes when configured', 1024, 1],
  ])('a large response to a client accepting gzip is %s', async (_name, compressMinBytes, flag) => {
    server = await tlsServer(compressMinBytes === undefined ? {} : { compressMinBytes });
    const session = await connect(server.port as number);

    const res = await call(session, 'List', { 'grpc-accept-encoding': 'gzip' });

    expect(res.status).toBe('0');
    expect(res.body[0]).toBe(flag);
    expect(res.body.length).toBeGreaterThan(flag === 0 ? SERVICES * 10 : 5);
  });
});

/** A self-signed P-256 certificate for 127.0.0.1, made with the openssl CLI. */
function selfSigned(name: string): Pem {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.pem`);
  execFileSync(
    'openssl',
    [
      ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'],
      ...['-subj', `/CN=${name}`, '-addext', 'subjectAltName=IP:127.0.0.1', '-days', '1'],
      ...['-keyout', key, '-out', cert],
    ],
    { stdio: 'ignore' },
  );
  return { cert: readFileSync(cert, 'utf8'), key: readFileSync(key, 'utf8') };
}
