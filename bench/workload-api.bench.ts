// Workload API latency, each figure beside the raw HTTP/2 floor measured in the same run. One
// lean raw-http2 gRPC client is used for both (POST, an empty framed X509SVIDRequest, wait for
// the first framed message, decode it as an X509SVIDResponse and check its SPIFFE ID, then
// cancel the stream), so the only difference between a floor row and a FetchX509SVID row is the
// server:
//   floor: a raw node:http2 server answering every stream with response headers and the same
//          encoded X509SVIDResponse, leaving the stream open as a server stream does;
//   ours:  FetchX509SVID on our endpoint (security header, SO_PEERCRED, start-time guard before
//          and after, the real `unix` attestor reading /proc and /etc/passwd, the view's
//          subscription, encode, first message) on a warm in-memory cache view.
// Both servers run in a child process, as an agent would, the clients in this one.
//   closed loop: 1 client, then 100 clients each with its own connection making sequential
//                calls (100 calls always outstanding: on 2 cores this is throughput-bound);
//   open loop:   100 connected clients issuing calls at a fixed aggregate rate, evenly spread
//                and round-robin over the connections; latency is taken from each call's
//                scheduled start, so a server that falls behind shows it.
// Then, with real spire-server and spire-agent processes (when the build has them): time from
// `spire-server entry create` to the update arriving on an open FetchX509SVID stream.
// Goals (issue 4): p99 < 5 ms at 100 clients; entry create -> stream < 1 s.
// Run: npm run bench -- workload   (WAPI_BENCH_E2E=0 skips the real server and agent;
//      WAPI_BENCH_PROF=<dir> writes a CPU profile of the serving process there)

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
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { X509SVIDResponseSchema } from '@spire-ts/spiffe/workload-proto';
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
const OPEN_LOOP_RATES = [1_000, 2_000];
const OPEN_LOOP_SECONDS = Number(process.env.BENCH_OPEN_SECONDS ?? 3);
const RECONNECT_EVERY = 500;
const SPIFFE_ID = 'spiffe://example.org/bench';
const RPC_PATH = '/SpiffeWorkloadAPI/FetchX509SVID';

interface Latencies {
  name: string;
  ms: number[];
  wallMs: number;
}

interface Connection {
  call: () => Promise<void>;
  close: () => void;
}

function report(rows: Latencies[]) {
  console.log(
    `${'case'.padEnd(66)}${'calls'.padStart(7)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'calls/s'.padStart(10)}`,
  );
  for (const r of rows) {
    console.log(
      r.name.padEnd(66) +
        String(r.ms.length).padStart(7) +
        percentile(r.ms, 50).toFixed(3).padStart(9) +
        percentile(r.ms, 99).toFixed(3).padStart(9) +
        ((r.ms.length / r.wallMs) * 1000).toFixed(0).padStart(10),
    );
  }
}

async function warmUp(conns: Connection[], calls: number) {
  await Promise.all(
    conns.map(async (c) => {
      for (let i = 0; i < calls; i++) await c.call();
    }),
  );
}

/** Closed loop: `clients` loops of `each` sequential calls, each loop on its own connection. */
async function closedLoop(
  name: string,
  clients: number,
  each: number,
  connect: () => Connection,
): Promise<Latencies> {
  const conns = Array.from({ length: clients }, connect);
  await warmUp(conns, 20);
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

/**
 * Open loop: `clients` connections, calls started at `rate` per second in all, evenly spaced and
 * round-robin over the connections, whether or not earlier calls have finished. Each latency is
 * measured from the call's scheduled start (no coordinated omission).
 */
async function openLoop(
  name: string,
  clients: number,
  rate: number,
  seconds: number,
  connect: () => Connection,
): Promise<Latencies> {
  const conns = Array.from({ length: clients }, connect);
  await warmUp(conns, 10);
  const total = Math.round(rate * seconds);
  const interval = 1000 / rate;
  const ms: number[] = [];
  const calls: Promise<void>[] = [];
  const start = performance.now();
  await new Promise<void>((resolve) => {
    let next = 0;
    const tick = () => {
      const now = performance.now();
      while (next < total && start + next * interval <= now) {
        const scheduled = start + next * interval;
        const conn = conns[next % clients] as Connection;
        calls.push(conn.call().then(() => void ms.push(performance.now() - scheduled)));
        next++;
      }
      if (next >= total) resolve();
      else setTimeout(tick, Math.max(0, start + next * interval - performance.now()));
    };
    tick();
  });
  await Promise.all(calls);
  const wallMs = performance.now() - start;
  for (const c of conns) c.close();
  return { name, ms, wallMs };
}

/**
 * The floor: a raw node:http2 server on `path` answering every stream with response headers and
 * `framed` (one length-prefixed message), leaving the stream open until the client cancels.
 */
async function rawHttp2Server(path: string, framed: Buffer) {
  const server = http2.createServer();
  server.on('stream', (stream) => {
    stream.on('error', () => undefined);
    stream.on('data', () => undefined);
    stream.on('end', () => {
      if (stream.closed) return;
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' });
      stream.write(framed);
    });
  });
  await new Promise<void>((r) => server.listen(path, r));
  return { close: () => new Promise((r) => server.close(r)) };
}

const REQUEST_HEADERS = {
  ':method': 'POST',
  ':path': RPC_PATH,
  'content-type': 'application/grpc',
  te: 'trailers',
  'workload.spiffe.io': 'true',
};
// An empty X509SVIDRequest, framed: flag 0, length 0.
const EMPTY_REQUEST = Buffer.alloc(5);

/**
 * The lean gRPC client of every row: one FetchX509SVID per call on a long-lived connection, the
 * first message decoded and its SPIFFE ID checked, then the stream cancelled (RST_STREAM).
 * Node's nghttp2 rapid-reset guard ends a connection after about 1,000 quick resets, so each
 * client reconnects every 500 calls.
 */
function grpcConnect(path: string) {
  const open = () => {
    const session = http2.connect('http://localhost', {
      createConnection: () => net.connect(path),
    });
    session.on('error', () => undefined);
    return session;
  };
  return (): Connection => {
    let session = open();
    let calls = 0;
    return {
      call: () => {
        if (++calls % RECONNECT_EVERY === 0) {
          session.close();
          session = open();
        }
        return fetchFirst(session);
      },
      close: () => session.close(),
    };
  };
}

function fetchFirst(session: http2.ClientHttp2Session): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const req = session.request(REQUEST_HEADERS);
    let got: Buffer | undefined;
    req.on('response', (headers) => {
      const status = headers['grpc-status'];
      if (status !== undefined && status !== '0') {
        reject(new Error(`FetchX509SVID failed: ${status} ${headers['grpc-message'] ?? ''}`));
      }
    });
    req.on('data', (chunk: Buffer) => {
      got = got ? Buffer.concat([got, chunk]) : chunk;
      if (got.length < 5 || got.length < 5 + got.readUInt32BE(1)) return;
      const message = fromBinary(X509SVIDResponseSchema, got.subarray(5, 5 + got.readUInt32BE(1)));
      req.close(http2.constants.NGHTTP2_CANCEL);
      if (message.svids[0]?.spiffeId === SPIFFE_ID) resolve();
      else reject(new Error(`unexpected SVID ${message.svids[0]?.spiffeId}`));
    });
    req.on('error', reject);
    req.on('close', () => reject(new Error(`stream closed before a message (${req.rstCode})`)));
    req.end(EMPTY_REQUEST);
  });
}

/**
 * The serving side, run in its own process (as an agent is): the raw HTTP/2 server and the
 * Workload API endpoint on a warm view. Resolves to the response size and a close function.
 */
async function serve(dir: string) {
  const authority = await makeAuthority('example.org');
  const view = new FakeView(authority);
  const uid = process.getuid?.() ?? 0;
  const identity = await makeIdentity(authority, SPIFFE_ID);
  view.entries = [{ selectors: [`unix:uid:${uid}`], identity }];
  const state = view.snapshot([{ type: 'unix', value: `uid:${uid}` }]);
  const body = Buffer.from(toBinary(X509SVIDResponseSchema, x509SvidResponse(state)));
  const framed = Buffer.concat([Buffer.from([0, 0, 0, 0, 0]), body]);
  framed.writeUInt32BE(body.length, 1);

  const raw = await rawHttp2Server(join(dir, 'raw.sock'), framed);
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
  const raw = grpcConnect(join(dir, 'raw.sock'));
  const ours = grpcConnect(join(dir, 'agent.sock'));
  console.log(
    `X509SVIDResponse: ${serving.size} bytes (one P-256 SVID, one CA); server in its own process\n`,
  );
  const rows: Latencies[] = [
    await closedLoop('closed loop, 1 client: raw HTTP/2 (floor)', 1, CALLS_ONE, raw),
    await closedLoop('closed loop, 1 client: FetchX509SVID', 1, CALLS_ONE, ours),
    await closedLoop(
      `closed loop, ${CLIENTS} clients: raw HTTP/2 (floor)`,
      CLIENTS,
      CALLS_EACH,
      raw,
    ),
    await closedLoop(`closed loop, ${CLIENTS} clients: FetchX509SVID`, CLIENTS, CALLS_EACH, ours),
  ];
  for (const rate of OPEN_LOOP_RATES) {
    const label = `open loop, ${CLIENTS} clients, ${rate} calls/s`;
    rows.push(
      await openLoop(`${label}: raw HTTP/2 (floor)`, CLIENTS, rate, OPEN_LOOP_SECONDS, raw),
    );
    rows.push(await openLoop(`${label}: FetchX509SVID`, CLIENTS, rate, OPEN_LOOP_SECONDS, ours));
  }
  report(rows);
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
