import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Code } from '@connectrpc/connect';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startWorkloadEndpoint } from '../../../src/agent/endpoints/index.js';
import type { WorkloadAttestor } from '../../../src/agent/plugin/workloadattestor/workload-attestor.js';
import type { GrpcServer } from '../../../src/common/grpc/index.js';
import { createLogger } from '../../../src/common/log/index.js';
import { HealthCheckResponse_ServingStatus as Serving } from '../../../src/gen/grpc/health/v1/health_pb.js';
import { failure, firstMessage, healthClient, workloadClient } from './support/client.js';
import {
  type FakeAuthority,
  FakeView,
  makeAuthority,
  makeIdentity,
  signWith,
} from './support/fake-view.js';

const UID = 'unix:uid:1000';

let dir: string;
let own: FakeAuthority;
let foreign: FakeAuthority;
let view: FakeView;
let server: GrpcServer | undefined;
let socketPath: string;
let selectors: string[];
let attestFailure: Error | undefined;
let logLines: string[];

/** A `unix` attestor that reports whatever the test put in `selectors`. */
const attestor: WorkloadAttestor = {
  name: 'unix',
  attest: async () => {
    if (attestFailure) throw attestFailure;
    return selectors.map((s) => s.slice('unix:'.length));
  },
};

async function start(extra: { allowUnauthenticatedVerifiers?: boolean } = {}) {
  const { logger } = createLogger({ stream: { write: (l: string) => logLines.push(l) } });
  server = await startWorkloadEndpoint({
    socketPath,
    view,
    attestors: [attestor],
    log: logger,
    allowedForeignJwtClaims: ['scope'],
    ...extra,
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'workload-api-'));
  own = await makeAuthority('example.org');
  foreign = await makeAuthority('partner.test');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeEach(async () => {
  socketPath = join(dir, 'public', `api-${Math.random().toString(36).slice(2)}.sock`);
  view = new FakeView(own);
  selectors = [UID];
  attestFailure = undefined;
  logLines = [];
});
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const streams = {
  FetchX509SVID: (c: ReturnType<typeof workloadClient>, signal: AbortSignal) =>
    c.fetchX509SVID({}, { signal }),
  FetchX509Bundles: (c: ReturnType<typeof workloadClient>, signal: AbortSignal) =>
    c.fetchX509Bundles({}, { signal }),
  FetchJWTBundles: (c: ReturnType<typeof workloadClient>, signal: AbortSignal) =>
    c.fetchJWTBundles({}, { signal }),
};
type Call = (c: ReturnType<typeof workloadClient>) => Promise<unknown>;
const everyRpc: [string, Call][] = [
  ...Object.entries(streams).map(
    ([name, open]) =>
      [name, (c) => firstMessage<unknown>((s) => open(c, s) as AsyncIterable<unknown>)] as [
        string,
        Call,
      ],
  ),
  ['FetchJWTSVID', (c) => c.fetchJWTSVID({ audience: ['a'] })],
  ['ValidateJWTSVID', (c) => c.validateJWTSVID({ audience: 'a', svid: 'x.y.z' })],
];

describe('Workload Endpoint §3: the security header', () => {
  const refused: [string, string | null][] = [
    ['missing', null],
    ['True', 'True'],
    ['TRUE', 'TRUE'],
    ['false', 'false'],
    ['empty', ''],
  ];
  for (const [rpc, call] of everyRpc) {
    it.each(refused)(`${rpc} with header %s is InvalidArgument`, async (_name, header) => {
      view.entries = [
        { selectors: [UID], identity: await makeIdentity(own, 'spiffe://example.org/w') },
      ];
      await start();

      expect(await failure(() => call(workloadClient(socketPath, header)))).toEqual({
        code: Code.InvalidArgument,
        message: 'security header missing from request',
      });
    });
  }

  it('is checked before attestation: a failing attestor is not even run', async () => {
    attestFailure = new Error('must not run');
    await start();

    const got = await failure(() =>
      workloadClient(socketPath, null).fetchJWTSVID({ audience: ['a'] }),
    );

    expect(got.code).toBe(Code.InvalidArgument);
  });
});

describe('Workload Endpoint §6: status codes', () => {
  for (const [rpc, call] of everyRpc) {
    it(`${rpc}: caller with no identity is PermissionDenied "no identity issued"`, async () => {
      view.entries = [
        {
          selectors: ['unix:uid:0'],
          identity: await makeIdentity(own, 'spiffe://example.org/root'),
        },
      ];
      await start();

      expect(await failure(() => call(workloadClient(socketPath)))).toEqual({
        code: Code.PermissionDenied,
        message: 'no identity issued',
      });
      const denied = logLines.find((l) => l.includes('No identity issued')) ?? '';
      expect(denied).toMatch(
        /level=warning msg="No identity issued" .*caller_uid=\d+ selectors="unix:uid:1000"/,
      );
    });

    it(`${rpc}: failed attestation is Unavailable "workload attestation failed"`, async () => {
      attestFailure = new Error('cannot read /proc/1/status');
      await start();

      expect(await failure(() => call(workloadClient(socketPath)))).toEqual({
        code: Code.Unavailable,
        message: 'workload attestation failed',
      });
      expect(logLines.join('')).toContain('Workload attestation failed');
    });

    it(`${rpc}: agent not yet ready is Unavailable`, async () => {
      view.isReady = false;
      await start();

      expect((await failure(() => call(workloadClient(socketPath)))).code).toBe(Code.Unavailable);
    });
  }

  it.each([
    [
      'FetchWITSVID',
      (c: ReturnType<typeof workloadClient>) =>
        firstMessage((s) => c.fetchWITSVID({}, { signal: s })),
    ],
    [
      'FetchWITBundles',
      (c: ReturnType<typeof workloadClient>) =>
        firstMessage((s) => c.fetchWITBundles({}, { signal: s })),
    ],
  ])('Workload API §1.1: %s is Unimplemented', async (_name, call) => {
    await start();

    expect((await failure(() => call(workloadClient(socketPath)))).code).toBe(Code.Unimplemented);
  });
});

describe('FetchX509SVID', () => {
  it('Workload API §5.2: chain as concatenated DER, PKCS#8 key, own bundle, federated map by TD ID', async () => {
    const a = await makeIdentity(own, 'spiffe://example.org/a', {
      entryId: 'b-entry',
      hint: 'internal',
    });
    const b = await makeIdentity(own, 'spiffe://example.org/b', {
      entryId: 'a-entry',
      federatesWith: ['partner.test'],
    });
    view.entries = [
      { selectors: [UID], identity: a },
      { selectors: [UID], identity: b },
    ];
    view.federated.set('partner.test', foreign.bundle);
    await start();

    const res = await firstMessage((s) =>
      workloadClient(socketPath).fetchX509SVID({}, { signal: s }),
    );

    // Ordered by entry ID (bug-cases-2 D29): a-entry first, so it is the default identity.
    expect(res.svids.map((s) => [s.spiffeId, s.hint])).toEqual([
      ['spiffe://example.org/b', ''],
      ['spiffe://example.org/a', 'internal'],
    ]);
    const first = res.svids[0]!;
    expect(Buffer.from(first.x509Svid)).toEqual(Buffer.from(b.certChainDer));
    expect(Buffer.from(first.x509SvidKey)).toEqual(Buffer.from(b.privateKeyPkcs8));
    expect(Buffer.from(first.bundle)).toEqual(own.ca.cert.raw);
    expect(Object.keys(res.federatedBundles)).toEqual(['spiffe://partner.test']);
    expect(Buffer.from(res.federatedBundles['spiffe://partner.test']!)).toEqual(
      foreign.ca.cert.raw,
    );
    expect(res.crl).toEqual([]);
  });

  it('Workload API §5.2: of identities sharing a non-empty hint only the oldest entry is sent', async () => {
    const mk = (path: string, entryId: string, hint: string, entryCreatedAt: number) =>
      makeIdentity(own, `spiffe://example.org/${path}`, { entryId, hint, entryCreatedAt });
    view.entries = await Promise.all(
      [
        mk('newer', 'a', 'db', 20),
        mk('plain1', 'b', '', 30),
        mk('older', 'c', 'db', 10),
        mk('plain2', 'd', '', 5),
        mk('web', 'e', 'web', 40),
      ].map(async (identity) => ({ selectors: [UID], identity: await identity })),
    );
    await start();

    const res = await firstMessage((s) =>
      workloadClient(socketPath).fetchX509SVID({}, { signal: s }),
    );

    expect(res.svids.map((s) => [s.spiffeId, s.hint])).toEqual([
      ['spiffe://example.org/plain1', ''],
      ['spiffe://example.org/older', 'db'],
      ['spiffe://example.org/plain2', ''],
      ['spiffe://example.org/web', 'web'],
    ]);
  });

  it('Workload API §4.3: pushes the full state again when the entries change, then ends with PermissionDenied when none are left', async () => {
    const a = await makeIdentity(own, 'spiffe://example.org/a');
    view.entries = [{ selectors: [UID], identity: a }];
    await start();
    const abort = new AbortController();
    const stream = workloadClient(socketPath).fetchX509SVID({}, { signal: abort.signal });
    const it = stream[Symbol.asyncIterator]();

    const first = await it.next();
    expect(first.value?.svids.map((s: { spiffeId: string }) => s.spiffeId)).toEqual([
      'spiffe://example.org/a',
    ]);

    const b = await makeIdentity(own, 'spiffe://example.org/b', {
      entryId: 'spiffe://example.org/0',
    });
    view.entries = [...view.entries, { selectors: [UID], identity: b }];
    const sentAt = Date.now();
    view.changed();
    const second = await it.next();
    expect(Date.now() - sentAt).toBeLessThan(1_000);
    expect(second.value?.svids.map((s: { spiffeId: string }) => s.spiffeId)).toEqual([
      'spiffe://example.org/b',
      'spiffe://example.org/a',
    ]);

    view.entries = [];
    view.changed();
    expect(await failure(() => it.next())).toEqual({
      code: Code.PermissionDenied,
      message: 'no identity issued',
    });
    abort.abort();
  });
});

describe('FetchX509Bundles and FetchJWTBundles', () => {
  it('Workload API §5.3: X.509 bundles keyed spiffe://<td>, own and federated, raw DER', async () => {
    const a = await makeIdentity(own, 'spiffe://example.org/a', {
      federatesWith: ['partner.test'],
    });
    view.entries = [{ selectors: [UID], identity: a }];
    view.federated.set('partner.test', foreign.bundle);
    await start();

    const res = await firstMessage((s) =>
      workloadClient(socketPath).fetchX509Bundles({}, { signal: s }),
    );

    expect(Object.keys(res.bundles).sort()).toEqual([
      'spiffe://example.org',
      'spiffe://partner.test',
    ]);
    expect(Buffer.from(res.bundles['spiffe://example.org']!)).toEqual(own.ca.cert.raw);
  });

  it('Workload API §6.3: JWT bundles are plain JWK Sets with kid and no use member', async () => {
    view.entries = [
      { selectors: [UID], identity: await makeIdentity(own, 'spiffe://example.org/a') },
    ];
    await start();

    const res = await firstMessage((s) =>
      workloadClient(socketPath).fetchJWTBundles({}, { signal: s }),
    );

    const jwks = JSON.parse(Buffer.from(res.bundles['spiffe://example.org']!).toString());
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kid: 'example.org-k1', kty: 'EC', crv: 'P-256' });
    expect(jwks.keys[0]).not.toHaveProperty('use');
    expect(jwks).not.toHaveProperty('spiffe_sequence');
  });

  it('allow_unauthenticated_verifiers: a caller with no identity gets only the own bundle', async () => {
    view.federated.set('partner.test', foreign.bundle);
    await start({ allowUnauthenticatedVerifiers: true });

    const res = await firstMessage((s) =>
      workloadClient(socketPath).fetchX509Bundles({}, { signal: s }),
    );

    expect(Object.keys(res.bundles)).toEqual(['spiffe://example.org']);
  });

  it('bug-cases-2 D28: a change that leaves the bundles equal sends nothing; a bundle change is pushed', async () => {
    const a = await makeIdentity(own, 'spiffe://example.org/a', {
      federatesWith: ['partner.test'],
    });
    view.entries = [{ selectors: [UID], identity: a }];
    await start();
    const abort = new AbortController();
    const it = workloadClient(socketPath)
      .fetchX509Bundles({}, { signal: abort.signal })
      [Symbol.asyncIterator]();
    expect(Object.keys((await it.next()).value!.bundles)).toEqual(['spiffe://example.org']);

    // A new SVID for the same workload: the view announces it, the bundles did not change.
    view.entries = [
      {
        selectors: [UID],
        identity: await makeIdentity(own, 'spiffe://example.org/a', {
          federatesWith: ['partner.test'],
        }),
      },
    ];
    view.changed();
    view.federated.set('partner.test', foreign.bundle);
    view.changed();

    expect(Object.keys((await it.next()).value!.bundles).sort()).toEqual([
      'spiffe://example.org',
      'spiffe://partner.test',
    ]);
    abort.abort();
  });
});

describe('FetchJWTSVID', () => {
  it('Workload API §6.2.1: empty audience is InvalidArgument "audience must be specified"', async () => {
    await start();

    expect(await failure(() => workloadClient(socketPath).fetchJWTSVID({ audience: [] }))).toEqual({
      code: Code.InvalidArgument,
      message: 'audience must be specified',
    });
  });

  it.each([
    ['[""]', ['']],
    ['["a", ""]', ['a', '']],
  ])(
    'JWT-SVID §3: audience %s is InvalidArgument naming the empty value, and the server is not asked',
    async (_name, audience) => {
      await start();

      expect(await failure(() => workloadClient(socketPath).fetchJWTSVID({ audience }))).toEqual({
        code: Code.InvalidArgument,
        message: 'audience must not contain an empty string',
      });
      expect(view.jwtRequests).toEqual([]);
    },
  );

  it('a spiffe_id that is not a SPIFFE ID is InvalidArgument', async () => {
    await start();

    const got = await failure(() =>
      workloadClient(socketPath).fetchJWTSVID({ audience: ['a'], spiffeId: 'http://x/y' }),
    );

    expect(got.code).toBe(Code.InvalidArgument);
    expect(got.message).toMatch(/^invalid requested SPIFFE ID: /);
  });

  it('bug-cases C24: a spiffe_id the caller is not entitled to is PermissionDenied, not an empty answer', async () => {
    view.entries = [
      { selectors: [UID], identity: await makeIdentity(own, 'spiffe://example.org/svc') },
      {
        selectors: [UID, 'unix:group:nobody'],
        identity: await makeIdentity(own, 'spiffe://example.org/other'),
      },
    ];
    await start();

    const got = await failure(() =>
      workloadClient(socketPath).fetchJWTSVID({
        audience: ['aud1'],
        spiffeId: 'spiffe://example.org/other',
      }),
    );

    expect(got).toEqual({ code: Code.PermissionDenied, message: 'no identity issued' });
    expect(view.jwtRequests).toEqual([]);
  });

  it.each([
    [
      'every identity when spiffe_id is unset',
      '',
      ['spiffe://example.org/a', 'spiffe://example.org/b'],
    ],
    ['only the requested identity', 'spiffe://example.org/b', ['spiffe://example.org/b']],
  ])('Workload API §6.2: %s', async (_name, spiffeId, expected) => {
    view.entries = [
      { selectors: [UID], identity: await makeIdentity(own, 'spiffe://example.org/a') },
      { selectors: [UID], identity: await makeIdentity(own, 'spiffe://example.org/b') },
    ];
    await start();

    const res = await workloadClient(socketPath).fetchJWTSVID({
      audience: ['aud1', 'aud2'],
      spiffeId,
    });

    expect(res.svids.map((s) => s.spiffeId)).toEqual(expected);
    expect(view.jwtRequests).toEqual([
      { audience: ['aud1', 'aud2'], spiffeId: spiffeId || undefined },
    ]);
    const payload = JSON.parse(
      Buffer.from(res.svids[0]!.svid.split('.')[1]!, 'base64url').toString(),
    );
    expect(payload).toMatchObject({ sub: expected[0], aud: ['aud1', 'aud2'] });
  });

  it('Workload API §6.2: of JWT-SVIDs sharing a non-empty hint only the oldest entry is sent', async () => {
    view.entries = [
      {
        selectors: [UID],
        identity: await makeIdentity(own, 'spiffe://example.org/newer', {
          entryId: 'a',
          hint: 'db',
          entryCreatedAt: 20,
        }),
      },
      {
        selectors: [UID],
        identity: await makeIdentity(own, 'spiffe://example.org/older', {
          entryId: 'b',
          hint: 'db',
          entryCreatedAt: 10,
        }),
      },
    ];
    await start();

    const res = await workloadClient(socketPath).fetchJWTSVID({ audience: ['a'] });

    expect(res.svids.map((s) => [s.spiffeId, s.hint])).toEqual([
      ['spiffe://example.org/older', 'db'],
    ]);
  });

  it.each([
    ['the requested identity', 'spiffe://example.org/a', '"spiffe://example.org/a"'],
    [
      'every identity when none is requested',
      '',
      '"spiffe://example.org/a, spiffe://example.org/b"',
    ],
  ])('a failure to mint is Unavailable naming %s', async (_name, spiffeId, named) => {
    view.entries = [
      { selectors: [UID], identity: await makeIdentity(own, 'spiffe://example.org/a') },
      { selectors: [UID], identity: await makeIdentity(own, 'spiffe://example.org/b') },
    ];
    view.jwtFailure = new Error('server unreachable');
    await start();

    const got = await failure(() =>
      workloadClient(socketPath).fetchJWTSVID({ audience: ['a'], spiffeId }),
    );

    expect(got).toEqual({
      code: Code.Unavailable,
      message: `could not fetch ${named} JWT-SVID: server unreachable`,
    });
  });
});

describe('ValidateJWTSVID', () => {
  beforeEach(async () => {
    const a = await makeIdentity(own, 'spiffe://example.org/a', {
      federatesWith: ['partner.test'],
    });
    view.entries = [{ selectors: [UID], identity: a }];
    view.federated.set('partner.test', foreign.bundle);
  });

  it.each([
    ['audience', { audience: '', svid: 'x.y.z' }],
    ['svid', { audience: 'a', svid: '' }],
  ])('Workload API §6.4: missing %s is InvalidArgument', async (field, req) => {
    await start();

    expect(await failure(() => workloadClient(socketPath).validateJWTSVID(req))).toEqual({
      code: Code.InvalidArgument,
      message: `${field} must be specified`,
    });
  });

  it('own trust domain: every claim comes back, aud as a list', async () => {
    await start();
    const token = view.signJwt('spiffe://example.org/peer', ['aud1'], { scope: 'r', team: 'x' });

    const res = await workloadClient(socketPath).validateJWTSVID({ audience: 'aud1', svid: token });

    expect(res.spiffeId).toBe('spiffe://example.org/peer');
    expect(res.claims).toMatchObject({
      sub: 'spiffe://example.org/peer',
      aud: ['aud1'],
      scope: 'r',
      team: 'x',
    });
    expect(typeof res.claims?.['exp']).toBe('number');
  });

  it('Workload API §6.5: a foreign token is checked with its own trust domain bundle; claims filtered to sub, exp, aud and allowed ones', async () => {
    await start();
    const token = signWith(foreign, 'spiffe://partner.test/peer', ['aud1'], {
      scope: 'r',
      team: 'x',
    });

    const res = await workloadClient(socketPath).validateJWTSVID({ audience: 'aud1', svid: token });

    expect(res.spiffeId).toBe('spiffe://partner.test/peer');
    expect(Object.keys(res.claims ?? {}).sort()).toEqual(['aud', 'exp', 'scope', 'sub']);
  });

  it.each([
    ['wrong audience', () => view.signJwt('spiffe://example.org/peer', ['aud1']), 'other', /aud/],
    [
      'token of a trust domain with no bundle',
      () => signWith(own, 'spiffe://unknown.test/peer', ['aud1']),
      'aud1',
      /unknown\.test/,
    ],
    [
      'token signed by another trust domain key',
      () => signWith(foreign, 'spiffe://example.org/peer', ['aud1']),
      'aud1',
      /kid/,
    ],
    ['garbage', () => 'not-a-token', 'aud1', /./],
  ])('%s is InvalidArgument with the reason', async (_name, token, audience, reason) => {
    await start();

    const got = await failure(() =>
      workloadClient(socketPath).validateJWTSVID({ audience, svid: token() }),
    );

    expect(got.code).toBe(Code.InvalidArgument);
    expect(got.message).toMatch(reason);
  });
});

describe('socket and health', () => {
  it('the public socket is created 0777 as SPIRE makes it', async () => {
    await start();

    expect(statSync(socketPath).mode & 0o777).toBe(0o777);
    expect(server?.address).toBe(`unix://${socketPath}`);
  });

  it.each([
    ['SERVING once the agent is ready', true, Serving.SERVING],
    ['NOT_SERVING before', false, Serving.NOT_SERVING],
  ])('grpc.health.v1 Check without the security header: %s', async (_name, ready, status) => {
    view.isReady = ready;
    await start();

    expect((await healthClient(socketPath).check({})).status).toBe(status);
  });

  it('grpc.health.v1 Check for an unknown service is NotFound', async () => {
    await start();

    expect((await failure(() => healthClient(socketPath).check({ service: 'nope' }))).code).toBe(
      Code.NotFound,
    );
  });

  it('the SVID served verifies against the bundle served beside it', async () => {
    view.entries = [
      { selectors: [UID], identity: await makeIdentity(own, 'spiffe://example.org/a') },
    ];
    await start();

    const res = await firstMessage((s) =>
      workloadClient(socketPath).fetchX509SVID({}, { signal: s }),
    );

    const leaf = new X509Certificate(Buffer.from(res.svids[0]!.x509Svid));
    const ca = new X509Certificate(Buffer.from(res.svids[0]!.bundle));
    expect(leaf.verify(ca.publicKey)).toBe(true);
  });
});
