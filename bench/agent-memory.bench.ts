// Agent memory per cached workload SVID with 10,000 entries (issue: goal under 2 KB), measured as
// the growth of heap + external memory (and RSS) after GC divided by the number of SVIDs. Baseline
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

const before = usage();
let rawBytes = 0;
const entries = [];
for (let i = 0; i < COUNT; i++) {
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
  entries.push(cachedEntry(proto, manager.cache.interner));
}
manager.cache.replaceEntries(entries.filter((e) => e !== undefined));
entries.length = 0;
const withEntries = usage();
for (const entry of manager.cache.entries().values()) {
  const key = await newPrivateKey('ec-p256');
  const chain = await ca.mint(SpiffeId.fromString(entry.spiffeId.toString()), createPublicKey(key));
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
const after = usage();

const perSvid = (after.heap - before.heap) / COUNT;
const perEntry = (withEntries.heap - before.heap) / COUNT;
const perSvidRss = (after.rss - before.rss) / COUNT;
const perSvidJs = (after.js - before.js) / COUNT;
const perSvidBuffers = (after.buffers - before.buffers) / COUNT;
console.log(`cached svids: ${manager.cache.svids().size}`);
console.log(`baseline raw DER chain + PKCS#8 key per svid: ${(rawBytes / COUNT).toFixed(0)} B`);
console.log(`agent heap+external per cached svid (entry included): ${perSvid.toFixed(0)} B`);
console.log(
  `  of which the entry alone ${perEntry.toFixed(0)} B, the SVID ${(perSvid - perEntry).toFixed(0)} B`,
);
console.log(
  `  of which JS heap ${perSvidJs.toFixed(0)} B, ArrayBuffers ${perSvidBuffers.toFixed(0)} B`,
);
console.log(
  `agent rss per cached svid (native X509/KeyObject included): ${perSvidRss.toFixed(0)} B`,
);
console.log(`ratio heap+external / raw: ${(perSvid / (rawBytes / COUNT)).toFixed(2)}x`);
