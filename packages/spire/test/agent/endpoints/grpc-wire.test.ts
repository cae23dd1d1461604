/**
 * The hand-written gRPC wire code serving /SpiffeWorkloadAPI/* (grpc/grpc PROTOCOL-HTTP2.md),
 * driven byte by byte with a raw HTTP/2 client and with grpc-js, an independent implementation.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type http2 from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync, gzipSync } from 'node:zlib';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { Code } from '@connectrpc/connect';
import * as grpc from '@grpc/grpc-js';
import { JWTSVIDRequestSchema, X509SVIDResponseSchema } from '@spire-ts/spiffe/workload-proto';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  MAX_CONCURRENT_STREAMS_PER_CONNECTION,
  startWorkloadEndpoint,
} from '../../../src/agent/endpoints/index.js';
import type { WorkloadSelector } from '../../../src/agent/manager/workload-view.js';
import type { GrpcServer } from '../../../src/common/grpc/index.js';
import { createLogger } from '../../../src/common/log/index.js';
import {
  HealthCheckRequestSchema,
  HealthCheckResponseSchema,
  HealthCheckResponse_ServingStatus as Serving,
} from '../../../src/gen/grpc/health/v1/health_pb.js';
import { type FakeAuthority, FakeView, makeAuthority, makeIdentity } from './support/fake-view.js';
import { collect, firstFrame, frame, open, rawCall, rawConnect } from './support/raw-client.js';

const MiB = 1024 * 1024;
/** grpc-status 0 (Connect's Code has no member for it). */
const OK = 0;
const X509 = '/SpiffeWorkloadAPI/FetchX509SVID';
const JWT = '/SpiffeWorkloadAPI/FetchJWTSVID';

/** A FakeView that counts the subscriptions still open, to see streams end on the server. */
class CountingView extends FakeView {
  open = 0;

  override async *subscribe(selectors: readonly WorkloadSelector[], signal: AbortSignal) {
    this.open++;
    try {
      yield* super.subscribe(selectors, signal);
    } finally {
      this.open--;
    }
  }
}

let dir: string;
let own: FakeAuthority;
let view: CountingView;
let server: GrpcServer | undefined;
let socketPath: string;
let session: http2.ClientHttp2Session;
let selectors: string[];
let logLines: string[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wapi-wire-'));
  own = await makeAuthority('example.org');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeEach(async () => {
  socketPath = join(dir, `api-${Math.random().toString(36).slice(2)}.sock`);
  view = new CountingView(own);
  view.entries = [
    { selectors: ['unix:uid:1000'], identity: await makeIdentity(own, 'spiffe://example.org/a') },
  ];
  selectors = ['uid:1000'];
  logLines = [];
  const { logger } = createLogger({ stream: { write: (l: string) => logLines.push(l) } });
  server = await startWorkloadEndpoint({
    socketPath,
    view,
    attestors: [{ name: 'unix', attest: async () => selectors }],
    log: logger,
  });
  session = rawConnect(socketPath);
});
afterEach(async () => {
  session.destroy();
  await server?.close();
  server = undefined;
});

/** A valid FetchJWTSVID request body (audience "a"). */
function jwtRequest(): Buffer {
  return Buffer.from(
    toBinary(JWTSVIDRequestSchema, create(JWTSVIDRequestSchema, { audience: ['a'] })),
  );
}

/**
 * A JWTSVIDRequest of exactly `size` bytes (at least 2 MiB): field 1 (audience) with a 4-byte
 * varint length and `size - 5` bytes of "A".
 */
function audienceOfSize(size: number): Buffer {
  const len = size - 5;
  const varint = [0, 7, 14].map((shift) => ((len >> shift) & 0x7f) | 0x80);
  varint.push(len >> 21);
  const message = Buffer.concat([Buffer.from([0x0a, ...varint]), Buffer.alloc(len, 0x41)]);
  expect(message.length).toBe(size);
  return message;
}

async function until(check: () => boolean, ms = 2_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('PROTOCOL-HTTP2 framing of the request', () => {
  it('a well-formed FetchX509SVID gets HTTP 200, application/grpc, the message, and the stream stays open', async () => {
    const req = open(session, { path: X509, body: frame(Buffer.alloc(0)) });
    const headers = await new Promise<http2.IncomingHttpHeaders>((r) => req.once('response', r));
    const message = fromBinary(X509SVIDResponseSchema, await firstFrame(req));

    expect(headers[':status']).toBe(200);
    expect(headers['content-type']).toBe('application/grpc');
    expect(message.svids.map((s) => s.spiffeId)).toEqual(['spiffe://example.org/a']);
    expect(view.open).toBe(1);
    req.close();
  });

  it('a length prefix announcing more than was sent is Internal (truncated message)', async () => {
    const body = frame(jwtRequest(), 0, 100);

    const got = await rawCall(session, { path: JWT, body });

    expect([got.status, got.message, got.trailersOnly]).toEqual([
      Code.Internal,
      'the request ended inside a message',
      true,
    ]);
  });

  it('a body shorter than the 5-byte prefix is Internal', async () => {
    const got = await rawCall(session, { path: JWT, body: Buffer.from([0, 0, 0]) });

    expect([got.status, got.message]).toEqual([
      Code.Internal,
      'the request ended inside a message',
    ]);
  });

  it('no message at all is Unimplemented (a unary method takes exactly one)', async () => {
    const got = await rawCall(session, { path: JWT });

    expect([got.status, got.message]).toEqual([
      Code.Unimplemented,
      'the request ended without a message',
    ]);
  });

  it('a second request message is Unimplemented', async () => {
    const body = Buffer.concat([frame(jwtRequest()), frame(jwtRequest())]);

    const got = await rawCall(session, { path: JWT, body });

    expect([got.status, got.message]).toEqual([
      Code.Unimplemented,
      'received a second request message for a method that takes one',
    ]);
  });

  it('bytes that are not a JWTSVIDRequest are Internal, naming the parse failure', async () => {
    const got = await rawCall(session, { path: JWT, body: frame(Buffer.from([0x0a, 0x7f, 1])) });

    expect(got.status).toBe(Code.Internal);
    expect(got.message).toMatch(/^failed to parse the request message: /);
  });

  it('a prefix announcing 4 MiB + 1 is ResourceExhausted at once, before the body is sent', async () => {
    // Only the prefix is written and the request side stays open: the answer cannot wait for
    // the 4 MiB to arrive, and the stream is reset after the status.
    const body = frame(Buffer.alloc(0), 0, 4 * MiB + 1);

    const got = await rawCall(session, { path: JWT, body, end: false });

    expect([got.status, got.message, got.trailersOnly]).toEqual([
      Code.ResourceExhausted,
      `received message larger than max (${4 * MiB + 1} vs. ${4 * MiB})`,
      true,
    ]);
    expect(got.rstCode).toBe(0);
  });

  it('a message of exactly 4 MiB is read (then refused for what it says, not its size)', async () => {
    const message = audienceOfSize(4 * MiB);
    view.entries = [];

    const got = await rawCall(session, { path: JWT, body: frame(message) });

    expect([got.status, got.message]).toEqual([Code.PermissionDenied, 'no identity issued']);
  });

  it('the compressed flag without grpc-encoding is Internal', async () => {
    const got = await rawCall(session, { path: JWT, body: frame(jwtRequest(), 1) });

    expect([got.status, got.message]).toEqual([
      Code.Internal,
      'compressed flag set with identity or empty encoding',
    ]);
  });

  it('grpc-encoding gzip on an uncompressed message is fine (the flag decides)', async () => {
    const got = await rawCall(session, {
      path: JWT,
      headers: { 'grpc-encoding': 'gzip' },
      body: frame(jwtRequest()),
    });

    expect(got.status).toBe(OK);
    expect(got.messages).toHaveLength(1);
  });
});

describe('PROTOCOL-HTTP2 Message-Encoding: gzip requests (compression.md)', () => {
  const GZIP = { 'grpc-encoding': 'gzip' };

  it('a gzip-compressed FetchX509SVID request gets the same response bytes as an uncompressed one', async () => {
    const call = (flag: number, body: Buffer, headers?: Record<string, string>) =>
      rawCall(session, {
        path: X509,
        headers: { 'grpc-timeout': '200m', ...headers },
        body: frame(body, flag),
      });
    const plain = await call(0, Buffer.alloc(0));

    const got = await call(1, gzipSync(Buffer.alloc(0)), GZIP);

    expect(got.httpStatus).toBe(200);
    expect(got.messages).toHaveLength(1);
    expect(got.messages[0]?.equals(plain.messages[0] as Buffer)).toBe(true);
    const ids = fromBinary(X509SVIDResponseSchema, got.messages[0]!).svids.map((s) => s.spiffeId);
    expect(ids).toEqual(['spiffe://example.org/a']);
    expect([got.status, got.message]).toEqual([Code.DeadlineExceeded, 'deadline exceeded']);
  });

  it('the inflated FetchJWTSVID request is what the handler gets (audience and SPIFFE ID)', async () => {
    const request = toBinary(
      JWTSVIDRequestSchema,
      create(JWTSVIDRequestSchema, {
        audience: ['from-gzip', 'b'],
        spiffeId: 'spiffe://example.org/a',
      }),
    );

    const got = await rawCall(session, {
      path: JWT,
      headers: GZIP,
      body: frame(gzipSync(request), 1),
    });

    expect([got.status, got.messages.length]).toEqual([OK, 1]);
    expect(view.jwtRequests).toEqual([
      { audience: ['from-gzip', 'b'], spiffeId: 'spiffe://example.org/a' },
    ]);
  });

  it('every answer carries grpc-accept-encoding: identity,gzip (with messages and trailers-only)', async () => {
    const headersOf = async (body: Buffer) => {
      const req = open(session, { path: JWT, body });
      const headers = await new Promise<http2.IncomingHttpHeaders>((r) => req.once('response', r));
      await collect(req);
      return headers;
    };

    const ok = await headersOf(frame(jwtRequest()));
    const refused = await headersOf(Buffer.alloc(0));

    expect([ok['grpc-status'], ok['grpc-accept-encoding']]).toEqual([undefined, 'identity,gzip']);
    expect([refused['grpc-status'], refused['grpc-accept-encoding']]).toEqual([
      String(Code.Unimplemented),
      'identity,gzip',
    ]);
  });

  it('a message that inflates to exactly 4 MiB is read (then refused for what it says)', async () => {
    view.entries = [];
    const compressed = gzipSync(audienceOfSize(4 * MiB));

    const got = await rawCall(session, { path: JWT, headers: GZIP, body: frame(compressed, 1) });

    expect([got.status, got.message]).toEqual([Code.PermissionDenied, 'no identity issued']);
  });

  it('a message that inflates to 4 MiB + 1 is ResourceExhausted: the limit is on the inflated size', async () => {
    const compressed = gzipSync(audienceOfSize(4 * MiB + 1));
    expect(compressed.length).toBeLessThan(64 * 1024);

    const got = await rawCall(session, { path: JWT, headers: GZIP, body: frame(compressed, 1) });

    expect([got.status, got.message, got.trailersOnly]).toEqual([
      Code.ResourceExhausted,
      `received message after decompression larger than max (over ${4 * MiB})`,
      true,
    ]);
  });

  it('a gzip bomb (1 MiB inflating to 1 GiB) is ResourceExhausted and is not inflated past the limit', async () => {
    // 64 gzip members of 16 MiB of zeros each: PROTOCOL-HTTP2 lets gzip hold several members.
    const member = gzipSync(Buffer.alloc(16 * MiB), { level: 9 });
    const bomb = Buffer.concat(Array.from({ length: 64 }, () => member));
    expect(bomb.length).toBeLessThan(2 * MiB);
    const peakBefore = process.resourceUsage().maxRSS;

    const got = await rawCall(session, { path: JWT, headers: GZIP, body: frame(bomb, 1) });

    expect([got.status, got.message]).toEqual([
      Code.ResourceExhausted,
      `received message after decompression larger than max (over ${4 * MiB})`,
    ]);
    // Inflating the whole bomb would hold 1 GiB at once; the peak RSS (KiB) says it never did.
    expect(process.resourceUsage().maxRSS - peakBefore).toBeLessThan(256 * 1024);
    const again = await rawCall(session, { path: JWT, body: frame(jwtRequest()) });
    expect(again.status).toBe(OK);
  });

  it('bytes that are not gzip under the compressed flag are Internal, naming the zlib failure', async () => {
    const got = await rawCall(session, { path: JWT, headers: GZIP, body: frame(jwtRequest(), 1) });

    expect([got.status, got.message]).toEqual([
      Code.Internal,
      'failed to decompress the request message: incorrect header check',
    ]);
  });

  it.each([['deflate'], ['snappy'], ['br'], ['GZIP']])(
    'a message compressed with grpc-encoding %s is Unimplemented, naming the supported encodings',
    async (encoding) => {
      const got = await rawCall(session, {
        path: JWT,
        headers: { 'grpc-encoding': encoding },
        body: frame(deflateSync(jwtRequest()), 1),
      });

      expect([got.status, got.message, got.trailersOnly]).toEqual([
        Code.Unimplemented,
        `unsupported grpc-encoding "${encoding}" (supported: identity, gzip)`,
        true,
      ]);
      expect(view.jwtRequests).toEqual([]);
    },
  );

  it('grpc-encoding identity with the compressed flag is Internal (compression.md test case 6)', async () => {
    const got = await rawCall(session, {
      path: JWT,
      headers: { 'grpc-encoding': 'identity' },
      body: frame(gzipSync(jwtRequest()), 1),
    });

    expect([got.status, got.message]).toEqual([
      Code.Internal,
      'compressed flag set with identity or empty encoding',
    ]);
  });
});

describe('arbitrary request bytes', () => {
  it('any body ends with a gRPC status, never a cut stream, and the endpoint keeps serving', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 64 }), async (bytes) => {
        const got = await rawCall(session, { path: JWT, body: Buffer.from(bytes) });
        expect(got.status).toBeTypeOf('number');
        expect(got.status).toBeGreaterThanOrEqual(0);
        expect(got.status).toBeLessThanOrEqual(16);
      }),
      { numRuns: 200 },
    );

    const again = await rawCall(session, { path: JWT, body: frame(jwtRequest()) });
    expect(again.status).toBe(OK);
  });
});

describe('PROTOCOL-HTTP2 headers', () => {
  it.each([
    ['application/json', 'application/json'],
    ['application/grpc+json', 'application/grpc+json'],
    ['missing', undefined],
  ])('content-type %s is HTTP 415 with grpc-status Internal', async (_name, type) => {
    const got = await rawCall(session, {
      path: X509,
      headers: { 'content-type': type },
      body: frame(Buffer.alloc(0)),
    });

    expect([got.httpStatus, got.status, got.message]).toEqual([
      415,
      Code.Internal,
      `invalid gRPC request content-type ${JSON.stringify(type ?? '')}`,
    ]);
    expect(view.open).toBe(0);
  });

  it.each([['application/grpc+proto'], ['application/grpc; charset=utf-8']])(
    'content-type %s is accepted',
    async (type) => {
      const got = await rawCall(session, {
        path: JWT,
        headers: { 'content-type': type },
        body: frame(jwtRequest()),
      });

      expect(got.status).toBe(OK);
    },
  );

  it('Workload Endpoint §3: no security header is InvalidArgument, trailers-only, nothing subscribed', async () => {
    const got = await rawCall(session, {
      path: X509,
      headers: { 'workload.spiffe.io': undefined },
      body: frame(Buffer.alloc(0)),
    });

    expect([got.httpStatus, got.status, got.message, got.trailersOnly]).toEqual([
      200,
      Code.InvalidArgument,
      'security header missing from request',
      true,
    ]);
    expect(view.open).toBe(0);
  });

  it('Workload Endpoint §3: two `true` values of the security header are refused too', async () => {
    const got = await rawCall(session, {
      path: JWT,
      headers: { 'workload.spiffe.io': ['true', 'true'] },
      body: frame(jwtRequest()),
    });

    expect([got.status, got.message]).toEqual([
      Code.InvalidArgument,
      'security header missing from request',
    ]);
  });

  it('an unknown method of SpiffeWorkloadAPI is Unimplemented, naming it', async () => {
    const got = await rawCall(session, {
      path: '/SpiffeWorkloadAPI/FetchX509SVIDs',
      body: frame(Buffer.alloc(0)),
    });

    expect([got.status, got.message]).toEqual([
      Code.Unimplemented,
      'unknown method "FetchX509SVIDs" for service SpiffeWorkloadAPI',
    ]);
  });

  it('a status message outside printable ASCII is percent-encoded (PROTOCOL-HTTP2 Status-Message)', async () => {
    const got = await rawCall(session, {
      path: JWT,
      body: frame(
        toBinary(
          JWTSVIDRequestSchema,
          create(JWTSVIDRequestSchema, { audience: ['a'], spiffeId: 'spiffe://é/%' }),
        ),
      ),
    });

    expect(got.status).toBe(Code.InvalidArgument);
    expect(got.rawMessage).toMatch(/^invalid requested SPIFFE ID: .*"%C3%A9" \(U\+00E9\)/);
    expect(got.message).toMatch(/^invalid requested SPIFFE ID: .*"é" \(U\+00E9\)/);
  });

  it('grpc-timeout 300m ends an open FetchX509SVID stream with DeadlineExceeded after its first message', async () => {
    const started = Date.now();
    const got = await rawCall(session, {
      path: X509,
      headers: { 'grpc-timeout': '300m' },
      body: frame(Buffer.alloc(0)),
    });

    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(got.messages).toHaveLength(1);
    expect([got.status, got.message, got.trailersOnly]).toEqual([
      Code.DeadlineExceeded,
      'deadline exceeded',
      false,
    ]);
    await until(() => view.open === 0);
  });

  it.each([['1x'], ['123456789S'], ['-1S'], ['S']])(
    'a malformed grpc-timeout %s is Internal',
    async (value) => {
      const got = await rawCall(session, {
        path: X509,
        headers: { 'grpc-timeout': value },
        body: frame(Buffer.alloc(0)),
      });

      expect([got.status, got.message]).toEqual([
        Code.Internal,
        `malformed grpc-timeout ${JSON.stringify(value)}`,
      ]);
    },
  );
});

describe('streams and connections', () => {
  it('a client cancel mid-stream ends the subscription on the server', async () => {
    const req = open(session, { path: X509, body: frame(Buffer.alloc(0)) });
    await firstFrame(req);
    expect(view.open).toBe(1);

    req.close(0x8); // RST_STREAM CANCEL

    await until(() => view.open === 0);
  });

  it('a client reset with an error code does not take the agent down; it keeps serving', async () => {
    const req = open(session, { path: X509, body: frame(Buffer.alloc(0)) });
    await firstFrame(req);

    req.close(0x2); // RST_STREAM INTERNAL_ERROR
    await until(() => view.open === 0);

    const again = await rawCall(rawConnect(socketPath), { path: JWT, body: frame(jwtRequest()) });
    expect(again.status).toBe(OK);
  });

  it(`each connection may have at most ${MAX_CONCURRENT_STREAMS_PER_CONNECTION} streams open: the next waits for a free one`, async () => {
    await new Promise((r) => session.once('remoteSettings', r));
    expect(session.remoteSettings.maxConcurrentStreams).toBe(100);

    const body = frame(Buffer.alloc(0));
    const held = Array.from({ length: 100 }, () => open(session, { path: X509, body }));
    await Promise.all(held.map(firstFrame));
    const extra = open(session, { path: X509, body });
    const extraFirst = firstFrame(extra);
    await new Promise((r) => setTimeout(r, 200));
    expect(view.open).toBe(100);

    held[0]?.close(0x8);

    await extraFirst;
    await until(() => view.open === 100);
    for (const req of [...held, extra]) req.close(0x8);
    await until(() => view.open === 0);
  });

  it('a push after a change reaches every open stream, each with its own state', async () => {
    const a = open(session, { path: X509, body: frame(Buffer.alloc(0)) });
    const first = fromBinary(X509SVIDResponseSchema, await firstFrame(a));
    expect(first.svids.map((s) => s.spiffeId)).toEqual(['spiffe://example.org/a']);

    const b = await makeIdentity(own, 'spiffe://example.org/b', { entryId: '0' });
    view.entries = [...view.entries, { selectors: ['unix:uid:1000'], identity: b }];
    const next = firstFrame(a);
    view.changed();

    const second = fromBinary(X509SVIDResponseSchema, await next);
    expect(second.svids.map((s) => s.spiffeId)).toEqual([
      'spiffe://example.org/b',
      'spiffe://example.org/a',
    ]);
    a.close();
  });

  it('close() ends open streams within its grace and removes nothing else', async () => {
    const req = open(session, { path: X509, body: frame(Buffer.alloc(0)) });
    await firstFrame(req);
    const closed = collect(req);

    const started = Date.now();
    await server?.close();
    server = undefined;

    await closed;
    expect(Date.now() - started).toBeLessThan(2_000);
    await until(() => view.open === 0);
  });
});

describe('the encoded-response cache never crosses workloads', () => {
  it('two workloads whose states share the first identity each get exactly their own SVIDs', async () => {
    const shared = view.entries[0]!.identity;
    const extra = await makeIdentity(own, 'spiffe://example.org/z-admin', { entryId: 'z' });
    view.entries = [
      { selectors: ['unix:uid:1000'], identity: shared },
      { selectors: ['unix:uid:1000', 'unix:gid:0'], identity: extra },
    ];
    const fetchIds = async () => {
      const s = rawConnect(socketPath);
      const got = await rawCall(s, {
        path: X509,
        headers: { 'grpc-timeout': '100m' },
        body: frame(Buffer.alloc(0)),
      });
      s.destroy();
      return fromBinary(X509SVIDResponseSchema, got.messages[0]!).svids.map((v) => v.spiffeId);
    };

    selectors = ['uid:1000', 'gid:0'];
    expect(await fetchIds()).toEqual(['spiffe://example.org/a', 'spiffe://example.org/z-admin']);
    selectors = ['uid:1000'];
    expect(await fetchIds()).toEqual(['spiffe://example.org/a']);
    selectors = ['uid:1000', 'gid:0'];
    expect(await fetchIds()).toEqual(['spiffe://example.org/a', 'spiffe://example.org/z-admin']);
  });

  it('a rotated SVID (new identity object, same ID) is sent, not the cached old one', async () => {
    const fetchCert = async () => {
      const got = await rawCall(session, {
        path: X509,
        headers: { 'grpc-timeout': '100m' },
        body: frame(Buffer.alloc(0)),
      });
      return Buffer.from(fromBinary(X509SVIDResponseSchema, got.messages[0]!).svids[0]!.x509Svid);
    };
    const before = await fetchCert();
    const rotated = await makeIdentity(own, 'spiffe://example.org/a');
    view.entries = [{ selectors: ['unix:uid:1000'], identity: rotated }];

    const after = await fetchCert();

    expect(before.equals(Buffer.from(view.entries[0]!.identity.certChainDer))).toBe(false);
    expect(after.equals(Buffer.from(rotated.certChainDer))).toBe(true);
  });
});

describe('grpc-js against the same socket', () => {
  let client: grpc.Client;
  beforeEach(() => {
    client = new grpc.Client(`unix://${socketPath}`, grpc.credentials.createInsecure());
  });
  afterEach(() => client.close());

  const md = () => {
    const m = new grpc.Metadata();
    m.set('workload.spiffe.io', 'true');
    return m;
  };
  const identity = (b: Buffer) => b;

  it('a deadline (grpc-timeout) on FetchX509SVID arrives as DEADLINE_EXCEEDED after the first message', async () => {
    const call = client.makeServerStreamRequest(X509, identity, identity, Buffer.alloc(0), md(), {
      deadline: Date.now() + 300,
    });
    const messages: Buffer[] = [];
    call.on('data', (m: Buffer) => messages.push(m));
    const status = await new Promise<grpc.StatusObject>((r) => {
      call.on('error', () => {});
      call.on('status', r);
    });

    expect(messages).toHaveLength(1);
    expect(status.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    await until(() => view.open === 0);
  });

  it('cancel() ends the server subscription', async () => {
    const call = client.makeServerStreamRequest(X509, identity, identity, Buffer.alloc(0), md());
    call.on('error', () => {});
    await new Promise((r) => call.once('data', r));
    expect(view.open).toBe(1);

    call.cancel();

    await until(() => view.open === 0);
  });

  it('an unknown SpiffeWorkloadAPI method is UNIMPLEMENTED', async () => {
    const err = await new Promise<grpc.ServiceError>((resolve) => {
      client.makeUnaryRequest(
        '/SpiffeWorkloadAPI/Nope',
        identity,
        identity,
        Buffer.alloc(0),
        md(),
        (e) => resolve(e as grpc.ServiceError),
      );
    });

    expect([err.code, err.details]).toEqual([
      grpc.status.UNIMPLEMENTED,
      'unknown method "Nope" for service SpiffeWorkloadAPI',
    ]);
  });

  it('a client with gzip compression on (grpc.default_compression_algorithm 2) gets its SVID', async () => {
    const gzipClient = new grpc.Client(`unix://${socketPath}`, grpc.credentials.createInsecure(), {
      'grpc.default_compression_algorithm': 2,
    });
    const call = gzipClient.makeServerStreamRequest(
      X509,
      identity,
      identity,
      Buffer.alloc(0),
      md(),
    );
    call.on('error', () => {});

    const first = await new Promise<Buffer>((r) => call.once('data', r));
    call.cancel();
    gzipClient.close();

    const svids = fromBinary(X509SVIDResponseSchema, first).svids;
    expect(svids.map((s) => s.spiffeId)).toEqual(['spiffe://example.org/a']);
    expect(
      Buffer.from(svids[0]!.x509Svid).equals(Buffer.from(view.entries[0]!.identity.certChainDer)),
    ).toBe(true);
  });

  it('a client compressing with deflate (algorithm 1) is UNIMPLEMENTED, told identity and gzip', async () => {
    // Also shows grpc-js really sets the compressed flag under its compression option.
    const deflateClient = new grpc.Client(
      `unix://${socketPath}`,
      grpc.credentials.createInsecure(),
      { 'grpc.default_compression_algorithm': 1 },
    );
    const err = await new Promise<grpc.ServiceError>((resolve) => {
      deflateClient.makeUnaryRequest(JWT, identity, identity, jwtRequest(), md(), (e) =>
        resolve(e as grpc.ServiceError),
      );
    });
    deflateClient.close();

    expect([err.code, err.details]).toEqual([
      grpc.status.UNIMPLEMENTED,
      'unsupported grpc-encoding "deflate" (supported: identity, gzip)',
    ]);
    expect(err.metadata.get('grpc-accept-encoding')).toEqual(['identity,gzip']);
  });

  it('grpc.health.v1 Check is still served on the socket (by the Connect routes)', async () => {
    const res = await new Promise<Buffer>((resolve, reject) => {
      client.makeUnaryRequest(
        '/grpc.health.v1.Health/Check',
        identity,
        identity,
        Buffer.from(
          toBinary(
            HealthCheckRequestSchema,
            create(HealthCheckRequestSchema, { service: 'SpiffeWorkloadAPI' }),
          ),
        ),
        new grpc.Metadata(),
        (e, v) => (e ? reject(e) : resolve(v as Buffer)),
      );
    });

    expect(fromBinary(HealthCheckResponseSchema, res).status).toBe(Serving.SERVING);
  });
});
