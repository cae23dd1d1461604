import { Code } from '@connectrpc/connect';
import {
  BundleSource,
  JwtSource,
  TrustDomain,
  WorkloadApiClient,
  X509Source,
} from '@spire-ts/spiffe';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeWorkloadApi } from '../support/fake-workload-api.js';
import { jwks, jwtAuthority, jwtToken, svidEntry, trustDomain, x509Response } from './support.js';

const FAST = { initialDelayMs: 5, maxDelayMs: 20 };
const own = trustDomain('example.org');
const other = trustDomain('other.org');
const exampleOrg = TrustDomain.fromString('example.org');

let fake: FakeWorkloadApi;
const closers: { close(): void }[] = [];

beforeEach(async () => {
  fake = await FakeWorkloadApi.start();
});
afterEach(async () => {
  for (const c of closers.splice(0)) c.close();
  await fake.close();
});

function keep<T extends { close(): void }>(s: T): T {
  closers.push(s);
  return s;
}

describe('X509Source', () => {
  it('waits for the first update, then serves the default svid and bundles', async () => {
    fake.x509Svid.failNextOpens([Code.Unavailable, 'agent starting']);
    setTimeout(() => fake.x509Svid.set(x509Response([svidEntry(own, '/a')], [other])), 30);

    const source = keep(await X509Source.create({ address: fake.address, backoff: FAST }));

    expect(source.getX509Svid().id.toString()).toBe('spiffe://example.org/a');
    expect(source.getX509BundleSet().trustDomains().map(String)).toEqual([
      'example.org',
      'other.org',
    ]);
  });

  it('fails after the timeout saying what the agent answered', async () => {
    fake.x509Svid.fail(Code.PermissionDenied, 'no identity issued');

    await expect(
      X509Source.create({ address: fake.address, backoff: FAST, timeoutMs: 200 }),
    ).rejects.toMatchObject({
      code: 'ERR_WORKLOADAPI_TIMEOUT',
      grpcCode: 'PermissionDenied',
      message: `no x509 context within 200 ms: no identity issued: PermissionDenied from the agent at ${fake.address}`,
    });
  });

  it('fails at once on InvalidArgument', async () => {
    fake.x509Svid.fail(Code.InvalidArgument, 'security header missing from request');

    await expect(
      X509Source.create({ address: fake.address, timeoutMs: 5000 }),
    ).rejects.toMatchObject({
      code: 'ERR_WORKLOADAPI_RPC_FAILED',
      grpcCode: 'InvalidArgument',
    });
  });

  it.each([
    ['a hint', { hint: 'external' }, '/ext'],
    [
      'a picker',
      {
        picker: (svids: readonly { id: { path: string } }[]) =>
          svids.find((s) => s.id.path === '/pick'),
      },
      '/pick',
    ],
  ])('hands out the svid chosen by %s', async (_n, choice, path) => {
    fake.x509Svid.set(
      x509Response([
        svidEntry(own, '/default'),
        svidEntry(own, '/ext', { hint: 'external' }),
        svidEntry(own, '/pick'),
      ]),
    );

    const source = keep(await X509Source.create({ address: fake.address, ...(choice as object) }));

    expect(source.getX509Svid().id.path).toBe(path);
  });

  it('rotates: emits updated and serves the new svid; drops a removed federated bundle', async () => {
    fake.x509Svid.set(x509Response([svidEntry(own, '/v1')], [other]));
    const source = keep(await X509Source.create({ address: fake.address }));
    const updates = source.updates();
    const next = updates.next();

    fake.x509Svid.set(x509Response([svidEntry(own, '/v2')]));
    await next;

    expect(source.getX509Svid().id.path).toBe('/v2');
    expect(source.getX509BundleForTrustDomain(TrustDomain.fromString('other.org'))).toBeUndefined();
  });

  it('throws ERR_WORKLOADAPI_CLOSED after close and ends its updates iterator', async () => {
    fake.x509Svid.set(x509Response([svidEntry(own, '/a')]));
    const source = await X509Source.create({ address: fake.address });
    const pending = source.updates().next();

    source.close();

    await expect(pending).resolves.toEqual({ done: true, value: undefined });
    expect(() => source.getX509Svid()).toThrow(
      expect.objectContaining({ code: 'ERR_WORKLOADAPI_CLOSED' }),
    );
  });

  it('shares one client between sources and leaves it open when a source closes', async () => {
    fake.x509Svid.set(x509Response([svidEntry(own, '/a')]));
    fake.x509Bundles.set({ bundles: { 'spiffe://example.org': own.ca.der } });
    fake.jwtBundles.set({ bundles: { 'spiffe://example.org': jwks(jwtAuthority()) } });
    const client = keep(new WorkloadApiClient({ address: fake.address }));

    const x509 = await X509Source.create({ client });
    const bundles = keep(await BundleSource.create({ client }));
    x509.close();

    expect(bundles.getX509BundleForTrustDomain(exampleOrg)?.toDer()).toEqual(own.ca.der);
    await expect(client.fetchX509Bundles()).resolves.toBeDefined();
  });
});

describe('JwtSource', () => {
  const auth = jwtAuthority('example.org');

  it('validates peer tokens with the current bundle and follows key rotation', async () => {
    fake.jwtBundles.set({ bundles: { 'spiffe://example.org': jwks(auth) } });
    const source = keep(await JwtSource.create({ address: fake.address }));
    const token = jwtToken(auth, '/peer', ['svc']);

    expect(source.validate(token, ['svc']).id.toString()).toBe('spiffe://example.org/peer');

    const next = source.updates().next();
    fake.jwtBundles.set({
      bundles: { 'spiffe://example.org': jwks(jwtAuthority('example.org', 'k2')) },
    });
    await next;

    expect(() => source.validate(token, ['svc'])).toThrow(
      expect.objectContaining({ code: expect.stringMatching(/^ERR_JWTSVID_/) }),
    );
  });

  it('fetches a token once per audience set and serves repeats from the cache', async () => {
    fake.jwtBundles.set({ bundles: { 'spiffe://example.org': jwks(auth) } });
    let fetches = 0;
    fake.jwtSvid = (req) => {
      fetches += 1;
      return {
        svids: [
          { spiffeId: 'spiffe://example.org/me', svid: jwtToken(auth, '/me', [...req.audience]) },
        ],
      };
    };
    const source = keep(await JwtSource.create({ address: fake.address }));

    const a = await source.fetchJwtSvid({ audience: ['x', 'y'] });
    const b = await source.fetchJwtSvid({ audience: ['y', 'x', 'x'] });
    const c = await source.fetchJwtSvid({ audience: ['x'] });

    expect(fetches).toBe(2);
    expect(b).toBe(a);
    expect([...c.audience]).toEqual(['x']);
  });
});

describe('BundleSource', () => {
  it('serves x509 and jwt bundles once both streams answered', async () => {
    fake.x509Bundles.set({ bundles: { 'spiffe://example.org': own.ca.der } });
    setTimeout(
      () => fake.jwtBundles.set({ bundles: { 'spiffe://example.org': jwks(jwtAuthority()) } }),
      30,
    );

    const source = keep(await BundleSource.create({ address: fake.address }));

    expect(source.getX509BundleForTrustDomain(exampleOrg)?.toDer()).toEqual(own.ca.der);
    expect(source.getJwtBundleForTrustDomain(exampleOrg)?.isEmpty()).toBe(false);
  });

  it('times out naming both feeds when the jwt stream never answers', async () => {
    fake.x509Bundles.set({ bundles: { 'spiffe://example.org': own.ca.der } });

    await expect(
      BundleSource.create({ address: fake.address, timeoutMs: 150 }),
    ).rejects.toMatchObject({
      code: 'ERR_WORKLOADAPI_TIMEOUT',
      message: `no x509 bundles and jwt bundles within 150 ms: no answer from the agent at ${fake.address}`,
    });
  });
});
