import { Code } from '@connectrpc/connect';
import {
  TrustDomain,
  WorkloadApiClient,
  type WorkloadApiError,
  type X509Context,
} from '@spire-ts/spiffe';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LinearBackoff } from '../../src/workloadapi/backoff.js';
import { FakeWorkloadApi } from '../support/fake-workload-api.js';
import { jwks, jwtAuthority, svidEntry, take, trustDomain, x509Response } from './support.js';

const FAST = { initialDelayMs: 5, maxDelayMs: 20 };
const own = trustDomain('example.org');
const other = trustDomain('other.org');

let fake: FakeWorkloadApi;
let client: WorkloadApiClient;
let abort: AbortController;
let errors: WorkloadApiError[];

beforeEach(async () => {
  fake = await FakeWorkloadApi.start();
  client = new WorkloadApiClient({ address: fake.address, backoff: FAST });
  abort = new AbortController();
  errors = [];
});
afterEach(async () => {
  abort.abort();
  client.close();
  await fake.close();
});

function watchX509() {
  return client.watchX509Context({ signal: abort.signal, onError: (e) => errors.push(e) });
}

const ids = (ctx: X509Context) => ctx.svids.map((s) => s.id.path);

describe('watchX509Context retry rules (Workload Endpoint §6, go-spiffe watch)', () => {
  it('stops for good on InvalidArgument and throws it', async () => {
    fake.x509Svid.fail(Code.InvalidArgument, 'security header missing from request');

    await expect(watchX509().next()).rejects.toMatchObject({
      code: 'ERR_WORKLOADAPI_RPC_FAILED',
      grpcCode: 'InvalidArgument',
    });
    expect(fake.x509Svid.opened).toBe(1);
  });

  it('retries Unavailable and PermissionDenied with backoff, then yields the first good update', async () => {
    fake.x509Svid.failNextOpens(
      [Code.Unavailable, 'workload attestation failed'],
      [Code.PermissionDenied, 'no identity issued'],
    );
    fake.x509Svid.set(x509Response([svidEntry(own, '/a')]));

    const [ctx] = await take(watchX509(), 1);

    expect(ids(ctx as X509Context)).toEqual(['/a']);
    expect(errors.map((e) => e.grpcCode)).toEqual(['Unavailable', 'PermissionDenied']);
    expect(fake.x509Svid.opened).toBe(3);
  });

  it('reconnects when the server closes the stream and gets the new state (§4.2)', async () => {
    fake.x509Svid.set(x509Response([svidEntry(own, '/a')]));
    const it = watchX509();
    await take(it, 1);

    fake.x509Svid.endStreams();
    fake.x509Svid.set(x509Response([svidEntry(own, '/b')]));
    const [next] = await take(it, 1);

    expect(ids(next as X509Context)).toEqual(['/b']);
    expect(fake.x509Svid.opened).toBe(2);
  });

  it('reconnects after the agent ends the stream with PermissionDenied (identity removed, D27)', async () => {
    fake.x509Svid.set(x509Response([svidEntry(own, '/a')]));
    const it = watchX509();
    await take(it, 1);

    fake.x509Svid.fail(Code.PermissionDenied, 'no identity issued');
    const pending = take(it, 1);
    await waitFor(() => errors.length >= 2);
    fake.x509Svid.set(x509Response([svidEntry(own, '/again')]));
    const [next] = await pending;

    expect(ids(next as X509Context)).toEqual(['/again']);
    expect(errors[0]?.message).toBe(
      `no identity issued: PermissionDenied from the agent at ${fake.address}`,
    );
  });

  it('ends without error when the signal aborts', async () => {
    fake.x509Svid.set(x509Response([svidEntry(own, '/a')]));
    const it = watchX509();
    await take(it, 1);

    const pending = it.next();
    abort.abort();

    await expect(pending).resolves.toEqual({ done: true, value: undefined });
  });
});

describe('watchX509Context full-state semantics (Workload API §4.3, §4.4, §4.5)', () => {
  it('drops a federated bundle absent from the next update', async () => {
    fake.x509Svid.set(x509Response([svidEntry(own, '/a')], [other]));
    const it = watchX509();
    const [first] = await take(it, 1);

    fake.x509Svid.set(x509Response([svidEntry(own, '/a')]));
    const [second] = await take(it, 1);

    expect(first?.bundles.has(TrustDomain.fromString('other.org'))).toBe(true);
    expect(second?.bundles.trustDomains().map(String)).toEqual(['example.org']);
  });

  it('reports a malformed update, keeps nothing of it and goes on with the next good one', async () => {
    const it = watchX509();
    fake.x509Svid.set(x509Response([svidEntry(own, '/a')]));
    await take(it, 1);

    const broken = svidEntry(own, '/half');
    fake.x509Svid.set({
      svids: [svidEntry(own, '/good-part'), { ...broken, x509SvidKey: new Uint8Array() }],
    });
    const pending = take(it, 1);
    await waitFor(() => errors.length === 1);
    fake.x509Svid.set(x509Response([svidEntry(own, '/c')]));
    const [next] = await pending;

    expect(errors.map((e) => e.code)).toEqual(['ERR_WORKLOADAPI_MALFORMED_RESPONSE']);
    expect(ids(next as X509Context)).toEqual(['/c']);
    expect(fake.x509Svid.opened).toBe(1);
  });
});

describe('bundle watches', () => {
  it('watchX509Bundles follows additions and removals', async () => {
    fake.x509Bundles.set({ bundles: { 'spiffe://example.org': own.ca.der } });
    const it = client.watchX509Bundles({ signal: abort.signal });
    const [a] = await take(it, 1);
    fake.x509Bundles.set({
      bundles: { 'spiffe://example.org': own.ca.der, 'spiffe://other.org': other.ca.der },
    });
    const [b] = await take(it, 1);
    fake.x509Bundles.set({ bundles: { 'spiffe://other.org': other.ca.der } });
    const [c] = await take(it, 1);

    expect([a, b, c].map((s) => s?.trustDomains().map(String))).toEqual([
      ['example.org'],
      ['example.org', 'other.org'],
      ['other.org'],
    ]);
  });

  it('watchJwtBundles yields each jwk set update', async () => {
    const k1 = jwtAuthority('example.org', 'k1');
    const k2 = jwtAuthority('example.org', 'k2');
    fake.jwtBundles.set({ bundles: { 'spiffe://example.org': jwks(k1) } });
    const it = client.watchJwtBundles({ signal: abort.signal });
    const [a] = await take(it, 1);
    fake.jwtBundles.set({ bundles: { 'spiffe://example.org': jwks(k2) } });
    const [b] = await take(it, 1);

    const td = TrustDomain.fromString('example.org');
    expect(
      [a, b].map((s) => [...(s?.getJwtBundleForTrustDomain(td)?.jwtAuthorities().keys() ?? [])]),
    ).toEqual([['k1'], ['k2']]);
  });
});

describe('LinearBackoff (go-spiffe: +1 step per failure, capped, reset after a good message)', () => {
  it('grows linearly to the cap and starts over after reset', () => {
    const b = new LinearBackoff({ initialDelayMs: 1000, maxDelayMs: 3000 });
    const first = [b.next(), b.next(), b.next(), b.next()];
    b.reset();

    expect([...first, b.next()]).toEqual([1000, 2000, 3000, 3000, 1000]);
  });

  it('defaults to 1 s steps capped at 30 s', () => {
    const b = new LinearBackoff();
    const delays = Array.from({ length: 32 }, () => b.next());

    expect([delays[0], delays[1], delays[29], delays[31]]).toEqual([1000, 2000, 30000, 30000]);
  });
});

async function waitFor(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
