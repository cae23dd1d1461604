// Server API signing throughput in one process (issue: BatchNewX509SVID >= 5,000 SVIDs/s and at
// least 0.15 of the raw P-256 sign rate). The agent calls the real SVID service over TLS on
// loopback with its agent SVID, through the authorization interceptor and the entry cache; each
// batch carries 50 CSRs made up front (the server parses and verifies each one). Baselines in
// the same run: raw `crypto.sign` P-256 (DER) and ES256 (P1363), the floor of each path.
import { generateKeyPairSync, sign } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { SVID } from '../packages/spire/src/gen/spire/api/server/svid/v1/svid_pb.js';
import { createSvidService } from '../packages/spire/src/server/api/svid/service.js';
import { makeCsr } from '../packages/spire/test/server/api/attestation/support.js';
import { startServerHarness } from '../packages/spire/test/support/server-harness.js';

const BATCH = 50;
const IN_FLIGHT = 4;
const JWT_IN_FLIGHT = 16;
const SECONDS = 3;

const h = await startServerHarness({ services: (ctx) => [[SVID, createSvidService(ctx)]] });
try {
  const { svid } = await h.attestedAgent('/spire/agent/join_token/bench');
  const results = await h.datastore.createEntries(
    Array.from({ length: BATCH }, (_, i) => ({
      parentId: svid.id,
      spiffeId: `spiffe://example.org/workload/${i}`,
      selectors: [{ type: 'unix', value: `uid:${i}` }],
    })),
  );
  const entryIds = results.map((r) => (r.ok ? r.entry.id : ''));
  await h.ctx.changed.entries(entryIds);
  const csrs = await Promise.all(entryIds.map(async () => (await makeCsr()).der));
  const params = entryIds.map((entryId, i) => ({ entryId, csr: csrs[i] as Uint8Array }));
  const client = h.withSvid(SVID, svid);

  const batch = async () => {
    const res = await client.batchNewX509SVID({ params });
    if (res.results.some((r) => r.status?.code !== 0)) throw new Error('a batch item failed');
  };
  const x509 = await inFlight(batch, IN_FLIGHT, SECONDS);
  const rawSign = rawRate('der');
  const svidsPerSec = x509 * BATCH;
  console.log(`BatchNewX509SVID (${BATCH} CSRs/batch, ${IN_FLIGHT} in flight, TLS loopback)`);
  console.log(`  ${svidsPerSec.toFixed(0)} SVIDs/s; raw P-256 crypto.sign ${rawSign.toFixed(0)}/s`);
  console.log(
    `  ratio ${(svidsPerSec / rawSign).toFixed(3)} (goal >= 5000 SVIDs/s, ratio >= 0.15)`,
  );

  const jwt = async () => {
    await client.newJWTSVID({ entryId: entryIds[0] as string, audience: ['bench'] });
  };
  const jwtRate = await inFlight(jwt, JWT_IN_FLIGHT, SECONDS);
  const rawEs256 = rawRate('ieee-p1363');
  console.log(`NewJWTSVID (${JWT_IN_FLIGHT} in flight, TLS loopback)`);
  console.log(
    `  ${jwtRate.toFixed(0)} JWT-SVIDs/s; raw ES256 crypto.sign ${rawEs256.toFixed(0)}/s`,
  );
  console.log(`  ratio ${(jwtRate / rawEs256).toFixed(3)}`);
} finally {
  await h.close();
}

/** Calls per second of `fn` with `n` calls kept in flight for about `seconds`. */
async function inFlight(fn: () => Promise<void>, n: number, seconds: number): Promise<number> {
  const run = async (until: number) => {
    let done = 0;
    const worker = async () => {
      while (performance.now() < until) {
        await fn();
        done++;
      }
    };
    await Promise.all(Array.from({ length: n }, worker));
    return done;
  };
  await run(performance.now() + 500);
  const start = performance.now();
  const done = await run(start + seconds * 1000);
  return done / ((performance.now() - start) / 1000);
}

function rawRate(dsaEncoding: 'der' | 'ieee-p1363'): number {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const data = Buffer.alloc(400, 7);
  const end = performance.now() + 1000;
  const start = performance.now();
  let n = 0;
  while (performance.now() < end) {
    sign('sha256', data, { key: privateKey, dsaEncoding });
    n++;
  }
  return n / ((performance.now() - start) / 1000);
}
