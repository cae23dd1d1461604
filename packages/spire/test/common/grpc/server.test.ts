import { execFileSync, spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http2 from 'node:http2';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { create } from '@bufbuild/protobuf';
import { type Client, createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import {
  callerPeer,
  type GrpcServer,
  isLoopback,
  type PeerInfo,
  serveGrpc,
} from '../../../src/common/grpc/index.js';
import {
  Health,
  HealthCheckResponseSchema,
  HealthCheckResponse_ServingStatus as Serving,
} from '../../../src/gen/grpc/health/v1/health_pb.js';

const HEALTH_PROTO = fileURLToPath(
  new URL('../../../proto/grpc/health/v1/health.proto', import.meta.url),
);

let dir: string;
let server: GrpcServer | undefined;
let seen: PeerInfo[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'grpc-server-'));
});
afterEach(async () => {
  await server?.close();
  server = undefined;
  seen = [];
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A Health service (test only) that records each caller's peer and answers SERVING. */
function healthRoutes(router: import('@connectrpc/connect').ConnectRouter) {
  router.service(Health, {
    check(_req, ctx) {
      const peer = callerPeer(ctx);
      if (peer) seen.push(peer);
      return create(HealthCheckResponseSchema, { status: Serving.SERVING });
    },
    list() {
      return {};
    },
    async *watch(_req, ctx) {
      yield { status: Serving.SERVING };
      await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
    },
  });
}

function unixClient(path: string): Client<typeof Health> {
  const transport = createGrpcTransport({
    baseUrl: 'http://localhost',
    nodeOptions: { createConnection: () => net.connect(path) },
  });
  return createClient(Health, transport);
}

describe('serveGrpc on a unix socket', () => {
  it.each([
    ['0o777 (public Workload API socket)', 0o777],
    ['0o700 (owner only)', 0o700],
    ['0o740', 0o740],
  ])('creates the socket with mode %s', async (_name, mode) => {
    const path = join(dir, `mode-${mode}`, 'api.sock');
    server = await serveGrpc({ routes: healthRoutes, listen: { kind: 'unix', path, mode } });

    expect(statSync(path).mode & 0o777).toBe(mode);
    expect(server.address).toBe(`unix://${path}`);
  });

  it('creates the missing parent folder with dirMode', async () => {
    const path = join(dir, 'fresh', 'nested', 'api.sock');
    server = await serveGrpc({
      routes: healthRoutes,
      listen: { kind: 'unix', path, mode: 0o777, dirMode: 0o711 },
    });

    expect(statSync(join(dir, 'fresh', 'nested')).mode & 0o777).toBe(0o711);
  });

  it('replaces a stale socket left by an earlier run and serves on it', async () => {
    const path = join(dir, 'stale.sock');
    const old = net.createServer().listen(path);
    await once(old, 'listening');
    // Simulate a crash: drop the listener without removing the file.
    (old as unknown as { _handle: { close(): void } })._handle.close();

    server = await serveGrpc({ routes: healthRoutes, listen: { kind: 'unix', path, mode: 0o700 } });
    const res = await unixClient(path).check({});

    expect(res.status).toBe(Serving.SERVING);
  });

  it('refuses to take over a socket a running server still listens on (ERR_GRPC_SOCKET_IN_USE)', async () => {
    const path = join(dir, 'live.sock');
    server = await serveGrpc({ routes: healthRoutes, listen: { kind: 'unix', path, mode: 0o700 } });

    const second = serveGrpc({ routes: healthRoutes, listen: { kind: 'unix', path, mode: 0o700 } });

    await expect(second).rejects.toMatchObject({
      code: 'ERR_GRPC_SOCKET_IN_USE',
      message: `socket path ${path} is in use by a running process: stop that process or choose another socket path`,
    });
    // The running server keeps its socket and its clients.
    expect((await unixClient(path).check({})).status).toBe(Serving.SERVING);
  });

  it('refuses to remove a regular file at the socket path (ERR_GRPC_SOCKET_PATH_NOT_SOCKET)', async () => {
    const path = join(dir, 'not-a-socket');
    writeFileSync(path, 'keep me');

    await expect(
      serveGrpc({ routes: healthRoutes, listen: { kind: 'unix', path, mode: 0o700 } }),
    ).rejects.toMatchObject({ code: 'ERR_GRPC_SOCKET_PATH_NOT_SOCKET' });
    expect(statSync(path).isFile()).toBe(true);
  });

  it.each([
    [
      'a relative path',
      { kind: 'unix', path: 'api.sock', mode: 0o700 },
      'ERR_GRPC_INVALID_OPTIONS',
    ],
    [
      'a mode above 0o777',
      { kind: 'unix', path: '/x.sock', mode: 0o4777 },
      'ERR_GRPC_INVALID_OPTIONS',
    ],
    [
      'plain text on a non-loopback address',
      { kind: 'tcp', host: '0.0.0.0', port: 0 },
      'ERR_GRPC_PLAINTEXT_NOT_LOOPBACK',
    ],
  ] as const)('rejects %s with %s', async (_name, listen, code) => {
    await expect(serveGrpc({ routes: healthRoutes, listen })).rejects.toMatchObject({ code });
  });

  it('hands the handler the calling process credentials through contextValues', async () => {
    const path = join(dir, 'creds.sock');
    server = await serveGrpc({ routes: healthRoutes, listen: { kind: 'unix', path, mode: 0o700 } });

    await unixClient(path).check({});

    expect(seen).toEqual([
      {
        transport: 'unix',
        credentials: { pid: process.pid, uid: process.getuid?.(), gid: process.getgid?.() },
      },
    ]);
  });

  it('sees the pid of a grpc-js client running in a child process', async () => {
    const path = join(dir, 'child.sock');
    server = await serveGrpc({ routes: healthRoutes, listen: { kind: 'unix', path, mode: 0o700 } });

    const child = spawn(process.execPath, ['-e', GRPC_JS_CHILD, path, HEALTH_PROTO], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const [exitCode] = await once(child, 'exit');

    expect({ exitCode, out: out.trim() }).toEqual({ exitCode: 0, out: 'SERVING' });
    expect(seen).toEqual([
      {
        transport: 'unix',
        credentials: { pid: child.pid, uid: process.getuid?.(), gid: process.getgid?.() },
      },
    ]);
  });

  it('close() removes the socket file and cuts a stream still open after the grace period', async () => {
    const path = join(dir, 'close.sock');
    server = await serveGrpc({
      routes: healthRoutes,
      listen: { kind: 'unix', path, mode: 0o700 },
      closeGraceMs: 50,
    });
    const stream = unixClient(path).watch({})[Symbol.asyncIterator]();
    const first = await stream.next();
    expect(first.value?.status).toBe(Serving.SERVING);

    await server.close();
    server = undefined;

    expect(() => statSync(path)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    await expect(stream.next()).rejects.toMatchObject({ name: 'ConnectError' });
  });
});

describe('serveGrpc on TCP loopback', () => {
  it('serves plain-text h2 on 127.0.0.1 and reports the caller address', async () => {
    server = await serveGrpc({
      routes: healthRoutes,
      listen: { kind: 'tcp', host: '127.0.0.1', port: 0 },
    });
    const transport = createGrpcTransport({ baseUrl: `http://127.0.0.1:${server.port}` });

    const res = await createClient(Health, transport).check({});

    expect(res.status).toBe(Serving.SERVING);
    expect(server.address).toBe(`tcp://127.0.0.1:${server.port}`);
    expect(seen).toMatchObject([
      { transport: 'tcp', remoteAddress: '127.0.0.1', certificates: [] },
    ]);
  });

  it('answers a Connect-protocol (non-grpc) request with an error, not a response', async () => {
    server = await serveGrpc({
      routes: healthRoutes,
      listen: { kind: 'tcp', host: '127.0.0.1', port: 0 },
    });
    const session = http2.connect(`http://127.0.0.1:${server.port}`);
    const req = session.request({
      ':method': 'POST',
      ':path': '/grpc.health.v1.Health/Check',
      'content-type': 'application/json',
    });
    req.end('{}');
    const [headers] = await once(req, 'response');
    req.resume();
    session.close();

    expect(headers[':status']).toBe(415);
  });

  it('says why it cannot listen when the port is taken, and what to change', async () => {
    const other = net.createServer();
    other.listen(0, '127.0.0.1');
    await once(other, 'listening');
    const port = (other.address() as net.AddressInfo).port;
    try {
      await expect(
        serveGrpc({ routes: healthRoutes, listen: { kind: 'tcp', host: '127.0.0.1', port } }),
      ).rejects.toThrow(
        `failed to listen on tcp://127.0.0.1:${port}: address already in use; stop the other ` +
          'process or choose another bind address or port',
      );
    } finally {
      other.close();
    }
  });
});

/** A self-signed P-256 certificate and key made with the openssl CLI. */
function selfSigned(name: string): { cert: string; key: string } {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.pem`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-subj',
      `/CN=${name}`,
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-days',
      '1',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'ignore' },
  );
  return { cert: readFileSync(cert, 'utf8'), key: readFileSync(key, 'utf8') };
}

describe('serveGrpc over TLS', () => {
  it.each([
    ['a client certificate', true],
    ['no client certificate', false],
  ])('hands the handler the DER chain the client presented: %s', async (_name, withCert) => {
    const srv = selfSigned('server');
    const cli = selfSigned('client');
    server = await serveGrpc({
      routes: healthRoutes,
      listen: {
        kind: 'tcp',
        host: '127.0.0.1',
        port: 0,
        tls: { ...srv, requestCert: true, rejectUnauthorized: false },
      },
    });
    const transport = createGrpcTransport({
      baseUrl: `https://127.0.0.1:${server.port}`,
      nodeOptions: { ca: srv.cert, ...(withCert ? cli : {}) },
    });

    await createClient(Health, transport).check({});

    const want = withCert ? [new Uint8Array(new X509Certificate(cli.cert).raw)] : [];
    expect(seen).toMatchObject([{ transport: 'tcp', remoteAddress: '127.0.0.1' }]);
    expect(seen[0]?.transport === 'tcp' && seen[0].certificates).toEqual(want);
  });
});

describe('isLoopback', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.8.9.10', true],
    ['::1', true],
    ['localhost', true],
    ['0.0.0.0', false],
    ['10.0.0.1', false],
    ['::', false],
    ['127.example.com', false],
  ])('%s -> %s', (host, want) => {
    expect(isLoopback(host)).toBe(want);
  });
});

// grpc-js client (an independent implementation) run in a child: calls Health/Check, prints status.
const GRPC_JS_CHILD = `
const grpc = require('@grpc/grpc-js');
const loader = require('@grpc/proto-loader');
const [path, proto] = process.argv.slice(1);
const pkg = grpc.loadPackageDefinition(loader.loadSync(proto, { enums: String }));
const client = new pkg.grpc.health.v1.Health('unix://' + path, grpc.credentials.createInsecure());
client.Check({}, (err, res) => {
  if (err) { console.error(err.message); process.exit(1); }
  console.log(res.status);
  client.close();
});
`;
