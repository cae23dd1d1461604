// Agent memory per cached workload SVID with 10,000 entries (issue 4: goal under 2 KB).
//
// Each measured run is a fresh agent-side process that does what a real agent does on its first
// sync with 10,000 authorized entries: the real CacheManager fetches the entries and the bundle
// and mints the 10,000 SVIDs 500 CSRs per call, generating each key with the agent's
// newPrivateKey and building its CSR; the server side (entries and a CA signing the CSRs) runs in
// a child process (test/agent/runtime/server-process.ts), so the agent side receives protobuf
// bytes only, as from gRPC. Reported per SVID (entry included), as growth from before the sync
// to after it, after GC:
//   - heap + external (the JS heap and the ArrayBuffers holding chains and keys);
//   - RSS, over the whole sync and over its second 5,000 SVIDs.
// Baselines in the same run:
//   - the raw DER chain + PKCS#8 key per SVID (what must be held at the least);
//   - "mint only": the same process and sync, each SVID built and then dropped instead of cached
//     (entries are still cached). Its RSS growth is what minting leaves behind on its own;
//     cache minus mint-only is what holding the SVIDs costs.
//   - both again with a full GC after each batch of 500 ("GC each batch"): minting makes native
//     objects (key pairs, the CSR's public key, the parsed certificate and its key) that V8 does
//     not count, so they pile up until a full GC and the allocator keeps the high-water; these
//     runs show how much of the RSS growth is that pile rather than what the cache holds.
// Each configuration runs RUNS (default 3) times, alternating. Run: `npm run bench -- agent-memory`
// (RUNS=5 npm run bench -- agent-memory for more runs).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { writeHeapSnapshot } from 'node:v8';
import { bundleFromProto } from '../packages/spire/src/agent/client/bundle.js';
import { CacheManager } from '../packages/spire/src/agent/manager/manager.js';
import { FakeClock } from '../packages/spire/src/common/clock/index.js';
import { createLogger } from '../packages/spire/src/common/log/index.js';
import type { TestEntry } from '../packages/spire/test/agent/runtime/fake-server-api.js';
import { RemoteServerApi } from '../packages/spire/test/agent/runtime/remote-server-api.js';

const COUNT = 10_000;
const BATCH = 500; // MAX_CSRS_PER_BATCH: the sync mints 500 SVIDs per call
const MODES = ['cache', 'mint-only'] as const;
type Mode = (typeof MODES)[number];

/** What one agent-side run reports, in bytes per SVID (or raw totals). */
interface RunResult {
  mode: Mode;
  gcEachBatch: boolean;
  entries: number;
  svids: number;
  rawPerSvid: number;
  heapExternal: number;
  jsHeap: number;
  arrayBuffers: number;
  /** Growth of the V8 heap's reserved pages (heapTotal): part of RSS, freed memory kept. */
  v8Total: number;
  rssAll: number;
  seconds: number;
}

const modeArg = process.argv.find((a) => a.startsWith('--mode='))?.slice('--mode='.length);
if (modeArg) {
  const result = await agentRun(modeArg as Mode, process.argv.includes('--gc-each-batch'));
  process.stdout.write(`${JSON.stringify(result)}\n`);
} else {
  coordinate();
}

async function usage() {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  // Native objects (keys, certificates) are released by GC callbacks that may run a tick later.
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  const m = process.memoryUsage();
  // `external` already includes `arrayBuffers` (Node docs), so they are not added again.
  return {
    heap: m.heapUsed + m.external,
    js: m.heapUsed,
    buffers: m.arrayBuffers,
    v8: m.heapTotal,
    rss: m.rss,
  };
}

// AGENT_MEMORY_SNAPSHOTS=<dir>: heap snapshots before and after the sync, to compare in DevTools
// (Comparison view) for what each cached SVID retains.
function snapshot(name: string): void {
  const dir = process.env['AGENT_MEMORY_SNAPSHOTS'];
  if (dir) writeHeapSnapshot(`${dir}/${name}.heapsnapshot`);
}

async function agentRun(mode: Mode, gcEachBatch: boolean): Promise<RunResult> {
  if (!MODES.includes(mode)) throw new Error(`--mode must be one of ${MODES.join(', ')}`);
  const server = await RemoteServerApi.start();
  try {
    // Sent in small chunks, so that building them does not grow this process's heap beforehand.
    for (let from = 0; from < COUNT; from += BATCH) {
      const chunk: TestEntry[] = [];
      for (let i = from; i < from + BATCH; i++) {
        chunk.push({
          id: `entry-${String(i).padStart(6, '0')}`,
          spiffeId: `spiffe://example.org/ns/prod/sa/svc-${i}`,
          selectors: ['k8s:ns:prod', `k8s:sa:svc-${i}`],
        });
      }
      await server.put(chunk);
    }

    const clock = new FakeClock();
    const { logger } = createLogger({ level: 'error', stream: { write: () => true } });
    const manager = new CacheManager({
      api: () => server,
      bundle: bundleFromProto(await server.fetchBundle()),
      clock,
      log: logger,
      syncIntervalMs: 5000,
      keyType: 'ec-p256',
      x509SvidCacheMaxSize: COUNT,
      jwtSvidCacheMaxSize: 1000,
      jwtCacheHitTimeoutMs: 30_000,
    });
    let built = 0;
    if (mode === 'mint-only') {
      // The same sync, but each SVID the synchronizer builds is dropped where it would be stored.
      Object.defineProperty(manager.cache, 'putSvid', {
        value: () => {
          built++;
          return false;
        },
      });
    }

    const start = await usage();
    snapshot(`${mode}-start`);
    if (gcEachBatch) {
      server.beforeX509Call = async () => {
        await usage();
      };
    }
    const t0 = performance.now();
    await manager.synchronize();
    const seconds = (performance.now() - t0) / 1000;
    const after = await usage();
    snapshot(`${mode}-end`);

    const svids = manager.cache.svids();
    let raw = 0;
    for (const svid of svids.values()) {
      raw += svid.certChainDer.length + svid.privateKeyPkcs8.length;
    }
    if (mode === 'cache' && svids.size !== COUNT) throw new Error(`cached ${svids.size} SVIDs`);
    if (mode === 'mint-only' && built !== COUNT) throw new Error(`built ${built} SVIDs`);
    if (server.x509Calls !== COUNT / BATCH) throw new Error(`${server.x509Calls} x509 calls`);
    return {
      mode,
      gcEachBatch,
      entries: manager.cache.entries().size,
      svids: svids.size,
      rawPerSvid: svids.size ? raw / svids.size : 0,
      heapExternal: (after.heap - start.heap) / COUNT,
      jsHeap: (after.js - start.js) / COUNT,
      arrayBuffers: (after.buffers - start.buffers) / COUNT,
      v8Total: (after.v8 - start.v8) / COUNT,
      rssAll: (after.rss - start.rss) / COUNT,
      seconds,
    };
  } finally {
    await server.close();
  }
}

function coordinate(): void {
  const runs = Number(process.env['RUNS'] ?? 3);
  const self = fileURLToPath(import.meta.url);
  const configs = [false, true].flatMap((gc) => MODES.map((mode) => ({ mode, gc })));
  const results: RunResult[] = [];
  for (let r = 0; r < runs; r++) {
    for (const { mode, gc } of configs) {
      const args = ['--expose-gc', '--import', 'tsx', self, `--mode=${mode}`];
      if (gc) args.push('--gc-each-batch');
      const child = spawnSync(process.execPath, args, {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      if (child.status !== 0) throw new Error(`${mode} run failed (exit ${child.status})`);
      results.push(JSON.parse(child.stdout.trim().split('\n').at(-1) ?? '') as RunResult);
    }
  }
  const of = (mode: Mode, gc: boolean) =>
    results.filter((r) => r.mode === mode && r.gcEachBatch === gc);
  const b = (n: number) => Math.round(n).toLocaleString('en-US');
  const runsOf = (xs: number[]) => xs.map(b).join(' / ');
  console.log(
    `${COUNT.toLocaleString('en-US')} entries, one EC P-256 SVID each: first sync of a fresh agent-side process, server and CA in a child process; bytes per SVID (entry included), ${runs} runs each`,
  );
  const row = (label: string, gc: boolean, f: (r: RunResult) => number) => {
    const cache = of('cache', gc);
    const mintOnly = of('mint-only', gc);
    const diff = cache.map((c, i) => f(c) - f(mintOnly[i] as RunResult));
    console.log(label);
    console.log(`  cache:               ${runsOf(cache.map(f))}`);
    console.log(`  mint-only baseline:  ${runsOf(mintOnly.map(f))}`);
    console.log(`  cache - mint-only:   ${runsOf(diff)}`);
  };
  row('heap+external', false, (r) => r.heapExternal);
  row('  of which JS heap', false, (r) => r.jsHeap);
  row('  of which ArrayBuffers', false, (r) => r.arrayBuffers);
  row('RSS growth', false, (r) => r.rssAll);
  row('  of which V8 heap pages (heapTotal)', false, (r) => r.v8Total);
  row('RSS growth, GC each batch of 500', true, (r) => r.rssAll);
  row('heap+external, GC each batch of 500', true, (r) => r.heapExternal);
  const raw = of('cache', false).map((r) => r.rawPerSvid);
  console.log(`raw DER chain + PKCS#8 key (floor): ${runsOf(raw)}`);
  const secs = (mode: Mode, gc: boolean) => of(mode, gc).map((r) => r.seconds.toFixed(1));
  console.log(
    `sync seconds: cache ${secs('cache', false).join(' / ')}, mint-only ${secs('mint-only', false).join(' / ')}`,
  );
}
