// Agent memory per cached workload SVID with 10,000 entries (issue: goal under 2 KB), measured as
// the growth of heap + external memory (and RSS) after GC divided by the number of SVIDs. The
// cache holds no native objects per SVID (DER bytes only); the RSS lines show it. Baseline
// in the same run: the raw size of what each cached SVID must hold, its DER chain plus its PKCS#8
// key. Run: `npm run bench -- agent-memory` (or node --expose-gc --import tsx bench/agent-memory.bench.ts).
import { createPublicKey, X509Certificate } from 'node:crypto';
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { SpiffeId } from '@spire-ts/spiffe';
import { bundleFromProto } from '../packages/spire/src/agent/client/bundle.js';
import { cachedEntry } from '../packages/spire/src/agent/manager/entry.js';
import { CacheManager } from '../packages/spire/src/agent/manager/manager.js';
import { cachedSvid } from '../packages/spire/src/agent/manager/svid-cache.js';
import { newPrivateKey } from '../packages/spire/src/agent/plugin/keymanager/index.js';
import { FakeClock } from '../packages/spire/src/common/clock/index.js';
import { createLogger } from '../packages/spire/src/common/log/index.js';
import { EntrySchema } from '../packages/spire/src/gen/spire/api/types/entry_pb.js';
import { makeFakeCa } from '../packages/spire/test/agent/runtime/fake-ca.js';
import { entryProto } from '../packages/spire/test/agent/runtime/fake-server-api.js';

const COUNT = 10_000;
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

function usage() {
  for (let i = 0; i < 3; i++) gc?.();
  const m = process.memoryUsage();
  // `external` already includes `arrayBuffers` (Node docs), so they are not added again.
  return { heap: m.heapUsed + m.external, js: m.heapUsed, buffers: m.arrayBuffers, rss: m.rss };
}

const clock = new FakeClock();
const ca = await makeFakeCa({ clock });
const { logger } = createLogger({ level: 'error', stream: { write: () => true } });
const manager = new CacheManager({
  api: () => {
    throw new Error('no server in this benchmark');
  },
  bundle: bundleFromProto(ca.bundleProto()),
  clock,
  log: logger,
  syncIntervalMs: 5000,
  keyType: 'ec-p256',
  x509SvidCacheMaxSize: COUNT,
  jwtSvidCacheMaxSize: 1000,
  jwtCacheHitTimeoutMs: 30_000,
});

// Two halves of 5,000 (entries, then their SVIDs): the first half also warms the allocator up
// with the native objects minting creates and frees (KeyObject, X509Certificate, and the fake
// CA's own signing, which a real agent leaves to the server), so RSS growth over the second half
// is what each further cached entry and SVID costs; the total RSS growth includes that warm-up.
const HALF = COUNT / 2;
let rawBytes = 0;
let entryHeap = 0;
let svidHeap = 0;
const start = usage();
let mid = start;
for (let h = 0; h < 2; h++) {
  if (h === 1) mid = usage();
  const u0 = usage();
  const fresh = [];
  for (let i = h * HALF; i < (h + 1) * HALF; i++) {
    // Through the wire format, as the agent receives entries: strings decoded from bytes.
    const proto = fromBinary(
      EntrySchema,
      toBinary(
        EntrySchema,
        entryProto({
          id: `entry-${String(i).padStart(6, '0')}`,
          spiffeId: `spiffe://example.org/ns/prod/sa/svc-${i}`,
          selectors: [`k8s:ns:prod`, `k8s:sa:svc-${i}`],
        }),
      ),
    );
    const entry = cachedEntry(proto, manager.cache.interner);
    if (!entry) throw new Error(`entry ${i} was refused`);
    fresh.push(entry);
  }
  manager.cache.replaceEntries([...manager.cache.entries().values(), ...fresh]);
  const u1 = usage();
  entryHeap += u1.heap - u0.heap;
  for (const entry of fresh) {
    const key = await newPrivateKey('ec-p256');
    const chain = await ca.mint(
      SpiffeId.fromString(entry.spiffeId.toString()),
      createPublicKey(key),
    );
    rawBytes += chain.reduce((n, der) => n + der.length, 0);
    rawBytes += key.export({ format: 'der', type: 'pkcs8' }).length;
    manager.cache.putSvid(
      cachedSvid(
        entry,
        chain.map((der) => new X509Certificate(der)),
        key,
      ),
    );
  }
  fresh.length = 0;
  svidHeap += usage().heap - u1.heap;
}
const after = usage();

const per = (bytes: number, n = COUNT) => (bytes / n).toFixed(0);
console.log(
  `cached entries: ${manager.cache.entries().size}, svids: ${manager.cache.svids().size}`,
);
console.log(`baseline raw DER chain + PKCS#8 key per svid: ${per(rawBytes)} B`);
console.log(
  `agent heap+external per cached svid (entry included): ${per(after.heap - start.heap)} B`,
);
console.log(`  of which the entry ${per(entryHeap)} B, the SVID ${per(svidHeap)} B`);
console.log(
  `  of which JS heap ${per(after.js - start.js)} B, ArrayBuffers ${per(after.buffers - start.buffers)} B`,
);
console.log(
  `agent rss per cached svid, second 5,000 (entry included): ${per(after.rss - mid.rss, HALF)} B`,
);
console.log(
  `agent rss per cached svid, all 10,000 (with the allocator's warm-up): ${per(after.rss - start.rss)} B`,
);
console.log(`ratio heap+external / raw: ${((after.heap - start.heap) / rawBytes).toFixed(2)}x`);
