// Load generators for the Workload API benchmark: a lean raw-http2 gRPC client of
// FetchX509SVID, and closed- and open-loop drivers that time each call.

import http2 from 'node:http2';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { fromBinary } from '@bufbuild/protobuf';
import { X509SVIDResponseSchema } from '@spire-ts/spiffe/workload-proto';

/** One row of results: every call's latency, the row's wall time and the server's CPU time. */
export interface Latencies {
  readonly name: string;
  readonly ms: number[];
  readonly wallMs: number;
  /** CPU time (user + system) the serving process spent during the row, in microseconds. */
  readonly serverCpuUs: number;
}

/** A long-lived client connection making one call at a time per `call()`. */
export interface Connection {
  call: () => Promise<void>;
  close: () => void;
}

/** Reads the serving process's CPU time so far (user + system), in microseconds. */
export type CpuProbe = () => Promise<number>;

const RPC_PATH = '/SpiffeWorkloadAPI/FetchX509SVID';
// Node's nghttp2 rapid-reset guard ends a connection after about 1,000 quick resets.
const RECONNECT_EVERY = 500;

const REQUEST_HEADERS = {
  ':method': 'POST',
  ':path': RPC_PATH,
  'content-type': 'application/grpc',
  te: 'trailers',
  'workload.spiffe.io': 'true',
};
// An empty X509SVIDRequest, framed: flag 0, length 0.
const EMPTY_REQUEST = Buffer.alloc(5);

async function warmUp(conns: Connection[], calls: number) {
  await Promise.all(
    conns.map(async (c) => {
      for (let i = 0; i < calls; i++) await c.call();
    }),
  );
}

/** Closed loop: `clients` loops of `each` sequential calls, each loop on its own connection. */
export async function closedLoop(
  name: string,
  clients: number,
  each: number,
  connect: () => Connection,
  cpu: CpuProbe,
): Promise<Latencies> {
  const conns = Array.from({ length: clients }, connect);
  await warmUp(conns, 20);
  const ms: number[] = [];
  const cpuBefore = await cpu();
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
  const serverCpuUs = (await cpu()) - cpuBefore;
  for (const c of conns) c.close();
  return { name, ms, wallMs, serverCpuUs };
}

/**
 * Open loop: `clients` connections, calls started at `rate` per second in all, evenly spaced and
 * round-robin over the connections, whether or not earlier calls have finished. Each latency is
 * measured from the call's scheduled start (no coordinated omission).
 */
export async function openLoop(
  name: string,
  clients: number,
  rate: number,
  seconds: number,
  connect: () => Connection,
  cpu: CpuProbe,
): Promise<Latencies> {
  const conns = Array.from({ length: clients }, connect);
  await warmUp(conns, 10);
  const total = Math.round(rate * seconds);
  const interval = 1000 / rate;
  const ms: number[] = [];
  const calls: Promise<void>[] = [];
  const cpuBefore = await cpu();
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
  const serverCpuUs = (await cpu()) - cpuBefore;
  for (const c of conns) c.close();
  return { name, ms, wallMs, serverCpuUs };
}

/**
 * The lean gRPC client of every row: one FetchX509SVID per call on a long-lived connection, the
 * first message decoded and its SPIFFE ID checked against `spiffeId`, then the stream cancelled
 * (RST_STREAM). Each client reconnects every 500 calls (see RECONNECT_EVERY).
 */
export function grpcConnect(path: string, spiffeId: string) {
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
        return fetchFirst(session, spiffeId);
      },
      close: () => session.close(),
    };
  };
}

function fetchFirst(session: http2.ClientHttp2Session, spiffeId: string): Promise<void> {
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
      if (message.svids[0]?.spiffeId === spiffeId) resolve();
      else reject(new Error(`unexpected SVID ${message.svids[0]?.spiffeId}`));
    });
    req.on('error', reject);
    req.on('close', () => reject(new Error(`stream closed before a message (${req.rstCode})`)));
    req.end(EMPTY_REQUEST);
  });
}
