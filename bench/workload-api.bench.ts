// Workload API latency, each figure beside the raw HTTP/2 round trip over a Unix socket measured
// in the same run (the floor any gRPC server on that socket pays):
//   1. raw node:http2 request/response over a Unix socket, body the size of an X509SVIDResponse;
//      the servers run in a child process, as an agent would, the clients in this one;
//   2. FetchX509SVID on our endpoint (security header, SO_PEERCRED, start-time guard before and
//      after, the real `unix` attestor reading /proc and /etc/passwd, encode, first message) on a
//      warm in-memory cache view; one client, then 100 concurrent clients (one connection each);
//   3. with real spire-server and spire-agent processes (when the build has them): time from
//      `spire-server entry create` to the update arriving on an open FetchX509SVID stream.
// Goals (issue 4): p99 < 5 ms at 100 clients; entry create -> stream < 1 s.
// Run: npm run bench -- workload

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import http2 from 'node:http2';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { toBinary } from '@bufbuild/protobuf';
import { createClient, type Interceptor } from '@connectrpc/connect';
import { createGrpcTransport, Http2SessionManager } from '@connectrpc/connect-node';
import { SpiffeWorkloadAPI, X509SVIDResponseSchema } from '@spire-ts/spiffe/workload-proto';
import { startWorkloadEndpoint } from '../packages/spire/src/agent/endpoints/index.js';
import { x509SvidResponse } from '../packages/spire/src/agent/endpoints/workload/encode.js';
import {
  loadNameTables,
  parseUnixAttestorConfig,
  UnixWorkloadAttestor,
} from '../packages/spire/src/agent/plugin/workloadattestor/unix/index.js';
import { createLogger } from '../packages/spire/src/common/log/index.js';
import {
  FakeView,
  makeAuthority,
  makeIdentity,
} from '../packages/spire/test/agent/endpoints/support/fake-view.js';
import { percentile } from './support/measure.js';

const CALLS_ONE = Number(process.env.BENCH_CALLS ?? 2_000);
const CALLS_EACH = Number(process.env.BENCH_CALLS_EACH ?? 30);
const CLIENTS = 100;
const RECONNECT_EVERY = 500;

interface Latencies {
  name: string;
  ms: number[];
  wallMs: number;
}

function report(rows: Latencies[]) {
  console.log(
    `${'case'.padEnd(58)}${'calls'.padStart(7)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'calls/s'.padStart(10)}`,
  );
  for (const r of rows) {
    console.log(
      r.name.padEnd(58) +
        String(r.ms.length).padStart(7) +
        percentile(r.ms, 50).toFixed(3).padStart(9) +
        percentile(r.ms, 99).toFixed(3).padStart(9) +
        ((r.ms.length / r.wallMs) * 1000).toFixed(0).padStart(10),
    );
  }
}

/** Runs `clients` loops of `each` sequential calls (each loop with its own connection). */
async function run(
  name: string,
  clients: number,
  each: number,
  connect: () => { call: () => Promise<void>; close: () => void },
): Promise<Latencies> {
  const conns = Array.from({ length: clients }, connect);
  for (const c of conns) for (let i = 0; i < 20; i++) await c.call(); // warm-up
  const ms: number[] = [];
  const start = performance.now();
  await Promise.all(
    conns.map(async (c) => {
      for (let i = 0; i < each; i++) {
        const t = performance.now();
        await c.call();
        ms.push(performance.now() - t);
      }
    }),
  );
  const wallMs = performance.now() - start;
  for (const c of conns) c.close();
  return { name, ms, wallMs };
}

/** A raw node:http2 server on `path` answering every request with `body`. */
async function rawHttp2Server(path: string, body: Buffer) {
  const server = http2.createServer();
  server.on('stream', (stream) => {
    stream.on('data', () => undefined);
    stream.on('end', () => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' });
      stream.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(path, r));
  return { close: () => new Promise((r) => server.close(r)) };
}

/** A raw HTTP/2 client: one POST and its whole answer per call. */
function rawHttp2Connect(path: string) {
  return () => {
    const session = http2.connect('http://localhost', {
      createConnection: () => net.connect(path),
    });
    return {
      call: () =>
        new Promise<void>((resolve, reject) => {
          const req = session.request({ ':method': 'POST', ':path': '/raw' });
          req.on('data', () => undefined);
          req.on('end', () => resolve());
          req.on('error', reject);
          req.end(Buffer.alloc(5));
        }),
      close: () => session.close(),
    };
  };
}

function workloadConnect(path: string) {
  const header: Interceptor = (next) => (req) => {
    req.header.set('workload.spiffe.io', 'true');
    return next(req);
  };
  const open = () => {
    const nodeOptions = { createConnection: () => net.connect(path) };
    const sessionManager = new Http2SessionManager('http://localhost', {}, nodeOptions);
    const transport = createGrpcTransport({
      baseUrl: 'http://localhost',
      sessionManager,
      interceptors: [header],
    });
    return { client: createClient(SpiffeWorkloadAPI, transport), sessionManager };
  };
  return () => {
    let conn = open();
    let calls = 0;
    return {
      call: async () => {
        // Each call cancels its stream after the first message (RST_STREAM). Node's nghttp2
        // rapid-reset guard ends a connection after ~1000 quick resets, so reconnect before that.
        if (++calls % RECONNECT_EVERY === 0) {
          conn.sessionManager.abort();
          conn = open();
        }
        const abort = new AbortController();
        for await (const _ of conn.client.fetchX509SVID({}, { signal: abort.signal })) break;
        abort.abort();
      },
      close: () => conn.sessionManager.abort(),
    };
  };
}

/**
 * The serving side, run in its own process (as an agent is): the raw HTTP/2 server and the
 * Workload API endpoint on a warm view. Resolves to the response size and a close function.
 */
async function serve(dir: string) {
  const authority = await makeAuthority('example.org');
  const view = new FakeView(authority);
  const uid = process.getuid?.() ?? 0;
  const identity = await makeIdentity(authority, 'spiffe://example.org/bench');
  view.entries = [{ selectors: [`unix:uid:${uid}`], identity }];
  const state = view.snapshot([{ type: 'unix', value: `uid:${uid}` }]);
  const body = Buffer.from(toBinary(X509SVIDResponseSchema, x509SvidResponse(state)));

  const raw = await rawHttp2Server(join(dir, 'raw.sock'), body);
  const { logger } = createLogger({ level: 'error' });
  const endpoint = await startWorkloadEndpoint({
    socketPath: join(dir, 'agent.sock'),
    view,
    attestors: [
      new UnixWorkloadAttestor({
        config: parseUnixAttestorConfig({}),
        // WAPI_BENCH_NAMES=reread: the old behaviour (account files read on every call).
        ...(process.env.WAPI_BENCH_NAMES === 'reread' ? { names: () => loadNameTables() } : {}),
      }),
    ],
    log: logger,
  });
  return {
    size: body.length,
    close: async () => {
      await endpoint.close();
      await raw.close();
    },
  };
}

/** Starts {@link serve} in a child process and resolves once it listens. */
async function startServing(dir: string) {
  // WAPI_BENCH_PROF=<dir>: the serving process writes a CPU profile there (node --cpu-prof).
  const prof = process.env.WAPI_BENCH_PROF;
  const flags = prof ? ['--cpu-prof', '--cpu-prof-dir', prof] : [];
  const child = spawn(
    process.execPath,
    [...flags, '--import', 'tsx', fileURLToPath(import.meta.url)],
    {
      env: { ...process.env, WAPI_BENCH_SERVE: dir },
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
  return {
    size: Number(line.replace('ready ', '')),
    stop: async () => {
      child.stdin?.end();
      await once(child, 'exit');
    },
  };
}

async function latencies(dir: string) {
  const serving = await startServing(dir);
  const raw = rawHttp2Connect(join(dir, 'raw.sock'));
  const fetch = workloadConnect(join(dir, 'agent.sock'));
  console.log(
    `X509SVIDResponse: ${serving.size} bytes (one P-256 SVID, one CA); server in its own process\n`,
  );
  report([
    await run('raw HTTP/2 over UDS, 1 client (floor)', 1, CALLS_ONE, raw),
    await run('FetchX509SVID first message, 1 client', 1, CALLS_ONE, fetch),
    await run(`raw HTTP/2 over UDS, ${CLIENTS} clients (floor)`, CLIENTS, CALLS_EACH, raw),
    await run(`FetchX509SVID first message, ${CLIENTS} clients`, CLIENTS, CALLS_EACH, fetch),
  ]);
  await serving.stop();
}

async function endToEnd() {
  const d = await import('../test/e2e/support/deployment.js');
  const g = await import('../test/e2e/support/grpc-client.js');
  const available = d.runtimeAvailable();
  if (!available.ok) {
    console.log(`\nentry create -> stream: skipped (build lacks ${available.missing.join(', ')})`);
    return;
  }
  const server = await d.startServer();
  const agent = await d.startAgent(server, { name: 'bench' });
  const uid = process.getuid?.() ?? 0;
  try {
    // The workload needs one identity first: a stream with none ends with PermissionDenied.
    const create = (name: string) =>
      server.cli([
        'entry',
        'create',
        '-parentID',
        agent.agentId,
        '-spiffeID',
        `spiffe://example.org/${name}`,
        '-selector',
        `unix:uid:${uid}`,
      ]);
    await create('base');
    for (let ok = false; !ok; await new Promise((r) => setTimeout(r, 200))) {
      ok = (await g.first(agent.socketPath, 'FetchX509SVID')).ok;
    }
    const times: number[] = [];
    const cliTimes: number[] = [];
    for (let i = 0; i < 5; i++) {
      const stream = g.openStream<{ svids: unknown[] }>(agent.socketPath, 'FetchX509SVID');
      const first = await stream.next(30_000);
      const before = first.ok ? first.value.svids.length : 0;
      const t = performance.now();
      const res = await create(`b${i}`);
      if (res.code !== 0) throw new Error(res.stderr);
      cliTimes.push(performance.now() - t);
      let msg = await stream.next(30_000);
      while (msg.ok && msg.value.svids.length === before) msg = await stream.next(30_000);
      times.push((msg.at ?? performance.now()) - t);
      stream.cancel();
    }
    console.log(
      `\nentry create -> update on an open stream (5 runs, agent sync_interval 500ms): ` +
        `median ${percentile(times, 50).toFixed(0)} ms, max ${Math.max(...times).toFixed(0)} ms; ` +
        `the entry create CLI process alone: median ` +
        `${percentile(cliTimes, 50).toFixed(0)} ms; update after the CLI returned: median ` +
        `${percentile(
          times.map((x, i) => x - (cliTimes[i] ?? 0)),
          50,
        ).toFixed(0)} ms`,
    );
  } finally {
    await agent.stop();
    await server.stop();
  }
}

const serveDir = process.env.WAPI_BENCH_SERVE;
if (serveDir) {
  const served = await serve(serveDir);
  process.stdout.write(`ready ${served.size}\n`);
  process.stdin.resume();
  await once(process.stdin, 'end');
  await served.close();
} else {
  const dir = mkdtempSync(join(tmpdir(), 'bench-wapi-'));
  try {
    await latencies(dir);
    // WAPI_BENCH_E2E=0 skips the real server and agent (latency cases only).
    if (process.env.WAPI_BENCH_E2E !== '0') await endToEnd();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
