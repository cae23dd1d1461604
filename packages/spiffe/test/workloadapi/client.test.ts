import net from 'node:net';
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { SpiffeId, TrustDomain, WorkloadApiClient } from '@spire-ts/spiffe';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SpiffeWorkloadAPI } from '../../src/gen/workload_pb.js';
import { FakeWorkloadApi } from '../support/fake-workload-api.js';
import { jwks, jwtAuthority, jwtToken, svidEntry, trustDomain, x509Response } from './support.js';

let fake: FakeWorkloadApi;
let client: WorkloadApiClient;

beforeEach(async () => {
  fake = await FakeWorkloadApi.start();
  client = new WorkloadApiClient({ address: fake.address });
});
afterEach(async () => {
  client.close();
  await fake.close();
});

const own = trustDomain('example.org');
const other = trustDomain('other.org');

describe('WorkloadApiClient X.509', () => {
  it('returns every svid, the own bundle and federated bundles keyed by trust domain (C26)', async () => {
    fake.x509Svid.set(x509Response([svidEntry(own, '/a'), svidEntry(own, '/b')], [other]));

    const ctx = await client.fetchX509Context();

    expect(ctx.svids.map((s) => s.id.toString())).toEqual([
      'spiffe://example.org/a',
      'spiffe://example.org/b',
    ]);
    expect(ctx.bundles.trustDomains().map(String)).toEqual(['example.org', 'other.org']);
    expect(
      ctx.bundles.getX509BundleForTrustDomain(TrustDomain.fromString('other.org'))?.toDer(),
    ).toEqual(other.ca.der);
  });

  it('picks the default svid as the first one (Workload API §5.3)', async () => {
    fake.x509Svid.set(x509Response([svidEntry(own, '/second-by-name'), svidEntry(own, '/a')]));

    expect((await client.fetchX509Svid()).id.toString()).toBe(
      'spiffe://example.org/second-by-name',
    );
  });

  it('keeps the first of two svids with the same hint (Workload API §5.2.1)', async () => {
    fake.x509Svid.set(
      x509Response([
        svidEntry(own, '/first', { hint: 'internal' }),
        svidEntry(own, '/dup', { hint: 'internal' }),
        svidEntry(own, '/ext', { hint: 'external' }),
        svidEntry(own, '/none'),
        svidEntry(own, '/none2'),
      ]),
    );

    const svids = await client.fetchX509Svids();

    expect(svids.map((s) => [s.id.path, s.hint])).toEqual([
      ['/first', 'internal'],
      ['/ext', 'external'],
      ['/none', ''],
      ['/none2', ''],
    ]);
  });

  const bad = svidEntry(own, '/a');
  it.each([
    ['no svids (§5.2.1)', { svids: [] }, 'x509 svid response has no svids'],
    [
      'an empty spiffe_id (§4.5)',
      { svids: [{ ...bad, spiffeId: '' }] },
      'svids[0].spiffe_id is empty',
    ],
    [
      'an empty x509_svid',
      { svids: [{ ...bad, x509Svid: new Uint8Array() }] },
      'svids[0].x509_svid is empty',
    ],
    [
      'a missing key',
      { svids: [{ ...bad, x509SvidKey: new Uint8Array() }] },
      'svids[0].x509_svid_key is empty',
    ],
    [
      'an empty bundle',
      { svids: [{ ...bad, bundle: new Uint8Array() }] },
      'svids[0].bundle is empty',
    ],
    [
      'malformed certificate der',
      { svids: [{ ...bad, x509Svid: Buffer.from([0x30, 0x03, 0x01]) }] },
      'svids[0] is not a valid x509-svid',
    ],
    [
      'malformed bundle der',
      { svids: [{ ...bad, bundle: Buffer.from([0x30, 0x82]) }] },
      'svids[0].bundle is not concatenated der certificates',
    ],
    [
      'a spiffe_id that is not the certificate id',
      { svids: [{ ...bad, spiffeId: 'spiffe://example.org/other' }] },
      'svids[0].spiffe_id "spiffe://example.org/other" does not match',
    ],
    [
      'a federated bundle keyed by an id with a path (§5.1)',
      { svids: [bad], federatedBundles: { 'spiffe://other.org/x': other.ca.der } },
      'federated_bundles key "spiffe://other.org/x" has a path',
    ],
    [
      'malformed federated bundle der',
      { svids: [bad], federatedBundles: { 'spiffe://other.org': Buffer.from([1, 2, 3]) } },
      'federated_bundles["spiffe://other.org"] is not concatenated der',
    ],
  ])(
    'rejects a response with %s as ERR_WORKLOADAPI_MALFORMED_RESPONSE (§4.5)',
    async (_n, resp, msg) => {
      fake.x509Svid.set(resp);

      const err = await client.fetchX509Context().catch((e: unknown) => e);

      expect(err).toMatchObject({ code: 'ERR_WORKLOADAPI_MALFORMED_RESPONSE' });
      expect((err as Error).message).toContain(msg);
    },
  );

  it('says what the agent answered and where (PermissionDenied)', async () => {
    fake.x509Svid.fail(Code.PermissionDenied, 'no identity issued');

    await expect(client.fetchX509Context()).rejects.toMatchObject({
      code: 'ERR_WORKLOADAPI_RPC_FAILED',
      grpcCode: 'PermissionDenied',
      message: `no identity issued: PermissionDenied from the agent at ${fake.address}`,
    });
  });

  it('reports a missing socket as Unavailable naming the address', async () => {
    const lost = new WorkloadApiClient({ address: `${fake.address}.missing` });

    await expect(lost.fetchX509Context()).rejects.toMatchObject({
      code: 'ERR_WORKLOADAPI_RPC_FAILED',
      grpcCode: 'Unavailable',
      address: `${fake.address}.missing`,
    });
    lost.close();
  });

  it('parses FetchX509Bundles into a bundle set and rejects an empty map (§5.2.2)', async () => {
    fake.x509Bundles.set({
      bundles: { 'spiffe://example.org': own.ca.der, 'spiffe://other.org': other.ca.der },
    });
    const set = await client.fetchX509Bundles();
    expect(set.trustDomains().map(String)).toEqual(['example.org', 'other.org']);

    fake.x509Bundles.set({ bundles: {} });
    await expect(client.fetchX509Bundles()).rejects.toMatchObject({
      code: 'ERR_WORKLOADAPI_MALFORMED_RESPONSE',
      message: 'x509 bundles response has no bundles: the own trust domain is required (§5.2.2)',
    });
  });
});

describe('WorkloadApiClient security header (Workload Endpoint §3)', () => {
  it('sends workload.spiffe.io: true on every rpc', async () => {
    const auth = jwtAuthority();
    fake.x509Svid.set(x509Response([svidEntry(own, '/a')]));
    fake.x509Bundles.set({ bundles: { 'spiffe://example.org': own.ca.der } });
    fake.jwtBundles.set({ bundles: { 'spiffe://example.org': jwks(auth) } });
    const token = jwtToken(auth, '/a', ['aud']);
    fake.jwtSvid = () => ({ svids: [{ spiffeId: 'spiffe://example.org/a', svid: token }] });
    fake.validateJwtSvid = () => ({ spiffeId: 'spiffe://example.org/a', claims: {} });

    await client.fetchX509Context();
    await client.fetchX509Bundles();
    await client.fetchJwtBundles();
    await client.fetchJwtSvid({ audience: ['aud'] });
    await client.validateJwtSvid(token, 'aud');

    expect(fake.calls).toEqual(
      [
        'FetchX509SVID',
        'FetchX509Bundles',
        'FetchJWTBundles',
        'FetchJWTSVID',
        'ValidateJWTSVID',
      ].map((method) => ({ method, securityHeader: 'true' })),
    );
  });

  it('the fake, like the agent, answers a call without the header InvalidArgument', async () => {
    const raw = createClient(
      SpiffeWorkloadAPI,
      createGrpcTransport({
        baseUrl: 'http://localhost',
        nodeOptions: { createConnection: () => net.connect(fake.path) },
      }),
    );

    await expect(raw.fetchJWTSVID({ audience: ['a'] })).rejects.toMatchObject({
      code: Code.InvalidArgument,
      rawMessage: 'security header missing from request',
    });
    expect(fake.calls).toEqual([{ method: 'FetchJWTSVID', securityHeader: null }]);
  });
});

describe('WorkloadApiClient address', () => {
  it('falls back to SPIFFE_ENDPOINT_SOCKET and lets an explicit address win', () => {
    const env = { SPIFFE_ENDPOINT_SOCKET: 'unix:///from/env.sock' };

    expect(new WorkloadApiClient({ env }).address).toBe('unix:///from/env.sock');
    expect(new WorkloadApiClient({ env, address: 'tcp://127.0.0.1:8000' }).address).toBe(
      'tcp://127.0.0.1:8000',
    );
    expect(() => new WorkloadApiClient({ env: {} })).toThrow(
      expect.objectContaining({ code: 'ERR_WORKLOADAPI_MISSING_ADDRESS' }),
    );
  });
});

describe('WorkloadApiClient JWT', () => {
  const auth = jwtAuthority('example.org');

  it('sends the audience and subject and returns the parsed svids, first hint wins', async () => {
    const seen: unknown[] = [];
    fake.jwtSvid = (req) => {
      seen.push({ audience: req.audience, spiffeId: req.spiffeId });
      return {
        svids: [
          { spiffeId: 'spiffe://example.org/a', svid: jwtToken(auth, '/a', ['x', 'y']), hint: 'h' },
          { spiffeId: 'spiffe://example.org/b', svid: jwtToken(auth, '/b', ['x', 'y']), hint: 'h' },
        ],
      };
    };

    const svids = await client.fetchJwtSvids({
      audience: ['x', 'y'],
      subject: SpiffeId.fromString('spiffe://example.org/a'),
    });

    expect(seen).toEqual([{ audience: ['x', 'y'], spiffeId: 'spiffe://example.org/a' }]);
    expect(svids.map((s) => [s.id.toString(), s.hint, [...s.audience]])).toEqual([
      ['spiffe://example.org/a', 'h', ['x', 'y']],
    ]);
  });

  it.each([
    ['an empty list', []],
    ['an empty string', ['']],
  ])('refuses %s as audience before calling (§6.2.1)', async (_n, audience) => {
    await expect(client.fetchJwtSvid({ audience })).rejects.toMatchObject({
      code: 'ERR_WORKLOADAPI_INVALID_ARGUMENT',
    });
    expect(fake.calls).toEqual([]);
  });

  it.each([
    [
      'no svids, as SPIRE answered an unauthorised spiffe_id before #2369 (C24)',
      { svids: [] },
      'jwt svid response has no svids',
    ],
    [
      'an empty token',
      { svids: [{ spiffeId: 'spiffe://example.org/a', svid: '' }] },
      'svids[0].svid is empty',
    ],
    [
      'a token that is not a jwt',
      { svids: [{ spiffeId: 'spiffe://example.org/a', svid: 'abc' }] },
      'svids[0].svid is not a valid jwt-svid',
    ],
    [
      'a spiffe_id that is not the sub',
      { svids: [{ spiffeId: 'spiffe://example.org/b', svid: jwtToken(auth, '/a', ['x']) }] },
      "does not match the token's sub",
    ],
  ])('rejects a response with %s', async (_n, resp, msg) => {
    fake.jwtSvid = () => resp;

    const err = await client.fetchJwtSvid({ audience: ['x'] }).catch((e: unknown) => e);

    expect(err).toMatchObject({ code: 'ERR_WORKLOADAPI_MALFORMED_RESPONSE' });
    expect((err as Error).message).toContain(msg);
  });

  it('parses FetchJWTBundles jwk sets per trust domain', async () => {
    const fed = jwtAuthority('other.org');
    fake.jwtBundles.set({
      bundles: { 'spiffe://example.org': jwks(auth), 'spiffe://other.org': jwks(fed) },
    });

    const set = await client.fetchJwtBundles();

    const ownBundle = set.getJwtBundleForTrustDomain(TrustDomain.fromString('example.org'));
    expect([...(ownBundle?.jwtAuthorities().keys() ?? [])]).toEqual([auth.kid]);
    expect(set.trustDomains().map(String)).toEqual(['example.org', 'other.org']);
  });

  it('validates through ValidateJWTSVID and surfaces its InvalidArgument', async () => {
    const token = jwtToken(auth, '/a', ['svc']);
    fake.validateJwtSvid = (req) => {
      if (req.audience !== 'svc') throw new ConnectError('audience mismatch', Code.InvalidArgument);
      return { spiffeId: 'spiffe://example.org/a', claims: {} };
    };

    expect((await client.validateJwtSvid(token, 'svc')).id.toString()).toBe(
      'spiffe://example.org/a',
    );
    await expect(client.validateJwtSvid(token, 'other')).rejects.toMatchObject({
      code: 'ERR_WORKLOADAPI_RPC_FAILED',
      grpcCode: 'InvalidArgument',
    });
  });

  it('fails every call after close with ERR_WORKLOADAPI_CLOSED', async () => {
    client.close();

    await expect(client.fetchX509Context()).rejects.toMatchObject({
      code: 'ERR_WORKLOADAPI_CLOSED',
    });
  });
});
