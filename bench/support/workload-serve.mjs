// The serving side of the Workload API benchmark, run in its own process as an agent is, with
// plain `node` on the compiled packages (dist/), as the spire-agent binary runs: not through tsx,
// whose transform adds work to every closure created (esbuild's keepNames). Only the test
// fixtures that fill the cache (an in-memory CA and server API, TypeScript) load through tsx,
// registered after everything else is loaded.
//
// Serves two sockets in the folder named by argv[2]: raw.sock, a raw node:http2 server answering
// every stream with the encoded X509SVIDResponse (the floor), and agent.sock, the agent's
// Workload API endpoint on a warm cache manager. Prints `ready <response bytes>`, then answers
// each `cpu` line on stdin with `cpu <user + system µs>` and each `settle` line (a full GC, then
// 250 ms) with `settled`; exits when stdin ends.
// WAPI_BENCH_NAMES=reread: the unix attestor reads the account files on every call (old way).

import http2 from 'node:http2';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { toBinary } from '@bufbuild/protobuf';
import { TrustDomain } from '@spire-ts/spiffe';
import { X509SVIDResponseSchema } from '@spire-ts/spiffe/workload-proto';
import { register } from 'tsx/esm/api';
import { bundleFromProto } from '../../packages/spire/dist/agent/client/bundle.js';
import { startWorkloadEndpoint } from '../../packages/spire/dist/agent/endpoints/index.js';
import { x509SvidResponse } from '../../packages/spire/dist/agent/endpoints/workload/encode.js';
import { CacheManager } from '../../packages/spire/dist/agent/manager/manager.js';
import {
  loadNameTables,
  parseUnixAttestorConfig,
  UnixWorkloadAttestor,
} from '../../packages/spire/dist/agent/plugin/workloadattestor/unix/index.js';
import { FakeClock } from '../../packages/spire/dist/common/clock/index.js';
import { createLogger } from '../../packages/spire/dist/common/log/index.js';

const SPIFFE_ID = process.env.WAPI_BENCH_SPIFFE_ID ?? 'spiffe://example.org/bench';
const OTHER_ENTRIES = Number(process.env.WAPI_BENCH_OTHER_ENTRIES ?? 100);

/**
 * The agent's cache manager, synced once from an in-memory server: the benchmarked workload's
 * entry (`unix:uid:<our uid>`) and OTHER_ENTRIES entries of other uids, all with SVIDs.
 */
async function warmCache(uid) {
  // tsx from here on only: every module of the served path is loaded already, untransformed,
  // and the fixtures share those instances (the same SpiffeId and TrustDomain classes).
  register();
  const fixtures = '../../packages/spire/test/agent/runtime/';
  const { makeFakeCa } = await import(`${fixtures}fake-ca.ts`);
  const { FakeServerApi } = await import(`${fixtures}fake-server-api.ts`);
  const clock = new FakeClock();
  const ca = await makeFakeCa({ clock, x509SvidTtlMs: 3_600_000 });
  const api = new FakeServerApi(ca);
  api.put({ id: 'bench', spiffeId: SPIFFE_ID, selectors: [`unix:uid:${uid}`] });
  for (let i = 0; i < OTHER_ENTRIES; i++) {
    const selectors = [`unix:uid:${100_000 + i}`];
    api.put({ id: `other-${i}`, spiffeId: `${SPIFFE_ID}/${i}`, selectors });
  }
  const { logger } = createLogger({ level: 'error' });
  const manager = new CacheManager({
    api: () => api,
    bundle: bundleFromProto(ca.bundleProto(), TrustDomain.fromString('example.org')),
    clock,
    log: logger,
    syncIntervalMs: 5_000,
    keyType: 'ec-p256',
    x509SvidCacheMaxSize: 1_000,
    jwtSvidCacheMaxSize: 1_000,
    jwtCacheHitTimeoutMs: 30_000,
  });
  await manager.synchronize();
  return { manager, logger };
}

/** The floor: every stream answered with headers and `framed`, left open until cancelled. */
async function rawHttp2Server(path, framed) {
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
  await new Promise((resolve) => server.listen(path, resolve));
  return { close: () => new Promise((resolve) => server.close(resolve)) };
}

const dir = process.argv[2];
const uid = process.getuid();
const { manager, logger } = await warmCache(uid);
const state = manager.snapshot([{ type: 'unix', value: `uid:${uid}` }]);
const body = Buffer.from(toBinary(X509SVIDResponseSchema, x509SvidResponse(state)));
const framed = Buffer.concat([Buffer.from([0, 0, 0, 0, 0]), body]);
framed.writeUInt32BE(body.length, 1);

const raw = await rawHttp2Server(join(dir, 'raw.sock'), framed);
const endpoint = await startWorkloadEndpoint({
  socketPath: join(dir, 'agent.sock'),
  view: manager,
  attestors: [
    new UnixWorkloadAttestor({
      config: parseUnixAttestorConfig({}),
      ...(process.env.WAPI_BENCH_NAMES === 'reread' ? { names: () => loadNameTables() } : {}),
    }),
  ],
  log: logger,
});
process.stdout.write(`ready ${body.length}\n`);

for await (const line of createInterface({ input: process.stdin })) {
  if (line === 'settle') {
    // Steady state before the rows: the start-up's garbage (module loading, the fake CA's
    // minting, the first sync) collected, and the agent's release of freed memory after that
    // full GC (~100 ms later) done, as in an agent that has been up for a while.
    globalThis.gc?.();
    await new Promise((resolve) => setTimeout(resolve, 250));
    process.stdout.write('settled\n');
    continue;
  }
  if (line !== 'cpu') continue;
  const { user, system } = process.cpuUsage();
  process.stdout.write(`cpu ${user + system}\n`);
}
await endpoint.close();
await raw.close();
