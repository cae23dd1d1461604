// BatchNewX509SVID and NewJWTSVID on the server's raw-stream path (`svidStreams`), over the real
// listeners: called with @grpc/grpc-js (an implementation other than the Connect client the other
// tests use) over mTLS with an agent SVID and over the admin socket, refusals with their exact
// codes, messages and PermissionDenied details (reference §3.8, §3.9), and request bytes that are
// not a request (grpc/grpc PROTOCOL-HTTP2.md) answered with a status, never a crash.
import { once } from 'node:events';
import http2 from 'node:http2';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { anyUnpack } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError } from '@connectrpc/connect';
import { setTrailerStatus } from '@connectrpc/connect/protocol-grpc';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StatusSchema } from '../../../../src/gen/google/rpc/status_pb.js';
import {
  BatchNewX509SVIDRequestSchema,
  type BatchNewX509SVIDResponse,
  BatchNewX509SVIDResponseSchema,
  NewJWTSVIDRequestSchema,
  type NewJWTSVIDResponse,
  NewJWTSVIDResponseSchema,
  SVID,
} from '../../../../src/gen/spire/api/server/svid/v1/svid_pb.js';
import {
  PermissionDeniedDetailsSchema,
  PermissionDeniedDetails_Reason as Reason,
} from '../../../../src/gen/spire/api/types/status_pb.js';
import { createSvidService } from '../../../../src/server/api/svid/service.js';
import { makeCert } from '../../../support/pki.js';
import { type RawAnswer, rawGrpcCall } from '../../../support/raw-grpc.js';
import {
  type HarnessSvid,
  type ServerHarness,
  startServerHarness,
} from '../../../support/server-harness.js';
import { makeCsr, urisOf } from '../attestation/support.js';

const BATCH = '/spire.api.server.svid.v1.SVID/BatchNewX509SVID';
const JWT = '/spire.api.server.svid.v1.SVID/NewJWTSVID';
const MINT_JWT = '/spire.api.server.svid.v1.SVID/MintJWTSVID';
const denied = (path: string) => `authorization denied for method ${path}`;

let h: ServerHarness;
let agent: HarnessSvid;
let mine: string;
let theirs: string;
const clients: grpc.Client[] = [];
const sessions: http2.ClientHttp2Session[] = [];

beforeAll(async () => {
  h = await startServerHarness({ services: (ctx) => [[SVID, createSvidService(ctx)]] });
  agent = (await h.attestedAgent('/spire/agent/join_token/mine')).svid;
  await h.attestedAgent('/spire/agent/join_token/theirs');
  const entry = async (parentId: string, spiffeId: string) => {
    const e = await h.datastore.createEntry({
      parentId,
      spiffeId,
      selectors: [{ type: 'unix', value: 'uid:1' }],
    });
    await h.ctx.changed.entries([e.id]);
    return e.id;
  };
  mine = await entry(agent.id, 'spiffe://example.org/web');
  theirs = await entry(
    'spiffe://example.org/spire/agent/join_token/theirs',
    'spiffe://example.org/db',
  );
});
afterAll(async () => {
  for (const c of clients) c.close();
  for (const s of sessions) s.destroy();
  await h?.close();
});

/** A grpc-js client over TLS presenting `svid` (none: anonymous), trusting the server's bundle. */
function tlsClient(svid?: HarnessSvid): grpc.Client {
  const credentials = grpc.credentials.createSsl(
    Buffer.from(h.bundlePem()),
    svid ? Buffer.from(svid.keyPem) : null,
    svid ? Buffer.from(svid.certPem) : null,
    // The server SVID names a SPIFFE ID, not a host: trust comes from the bundle.
    { checkServerIdentity: () => undefined },
  );
  // SNI names no IP address (RFC 6066 §3); trust comes from the bundle, not the name.
  const client = new grpc.Client(`127.0.0.1:${h.tcpPort}`, credentials, {
    'grpc.ssl_target_name_override': 'spire-server',
  });
  clients.push(client);
  return client;
}

function localClient(): grpc.Client {
  const client = new grpc.Client(`unix://${h.socketPath}`, grpc.credentials.createInsecure());
  clients.push(client);
  return client;
}

interface Failure {
  readonly code: number;
  readonly details: string;
  readonly metadata: grpc.Metadata;
}

/** One unary call with grpc-js; resolves to the response bytes or the status it ended with. */
function call(client: grpc.Client, path: string, request: Uint8Array) {
  return new Promise<{ ok: true; bytes: Buffer } | ({ ok: false } & Failure)>((resolve) => {
    client.makeUnaryRequest(
      path,
      (bytes: Uint8Array) => Buffer.from(bytes),
      (bytes: Buffer) => bytes,
      request,
      (err, bytes) => {
        if (err)
          resolve({ ok: false, code: err.code, details: err.details, metadata: err.metadata });
        else resolve({ ok: true, bytes: bytes as Buffer });
      },
    );
  });
}

async function batch(client: grpc.Client, params: { entryId: string; csr: Uint8Array }[]) {
  const res = await call(
    client,
    BATCH,
    toBinary(BatchNewX509SVIDRequestSchema, create(BatchNewX509SVIDRequestSchema, { params })),
  );
  return res;
}

async function jwt(client: grpc.Client, entryId: string, audience: string[]) {
  return call(
    client,
    JWT,
    toBinary(NewJWTSVIDRequestSchema, create(NewJWTSVIDRequestSchema, { entryId, audience })),
  );
}

function okBatch(res: Awaited<ReturnType<typeof call>>): BatchNewX509SVIDResponse {
  if (!res.ok) throw new Error(`call failed: ${res.code} ${res.details}`);
  return fromBinary(BatchNewX509SVIDResponseSchema, res.bytes);
}

function okJwt(res: Awaited<ReturnType<typeof call>>): NewJWTSVIDResponse {
  if (!res.ok) throw new Error(`call failed: ${res.code} ${res.details}`);
  return fromBinary(NewJWTSVIDResponseSchema, res.bytes);
}

/** The status of a failed call, with the PermissionDenied reasons of its details. */
function failure(res: Awaited<ReturnType<typeof call>>) {
  if (res.ok) throw new Error('the call succeeded');
  const bin = res.metadata.get('grpc-status-details-bin')[0];
  const reasons: Reason[] = [];
  if (bin !== undefined) {
    const status = fromBinary(StatusSchema, bin as Buffer);
    expect({ code: status.code, message: status.message }).toEqual({
      code: res.code,
      message: res.details,
    });
    for (const any of status.details) {
      const detail = anyUnpack(any, PermissionDeniedDetailsSchema);
      if (detail) reasons.push(detail.reason);
    }
  }
  return { code: res.code, message: res.details, reasons };
}

describe('grpc-js client over mTLS with an agent SVID (reference §3.8)', () => {
  it('BatchNewX509SVID: the authorized entry is signed, another agent’s entry is NotFound', async () => {
    const { der: csr } = await makeCsr();
    const res = okBatch(
      await batch(tlsClient(agent), [
        { entryId: mine, csr },
        { entryId: theirs, csr },
      ]),
    );
    expect(res.results.map((r) => ({ code: r.status?.code, message: r.status?.message }))).toEqual([
      { code: 0, message: 'OK' },
      { code: Code.NotFound, message: 'entry not found or not authorized' },
    ]);
    const svid = res.results[0]?.svid;
    expect(svid?.id).toMatchObject({ trustDomain: 'example.org', path: '/web' });
    expect(urisOf(svid?.certChain[0] ?? new Uint8Array())).toEqual(['spiffe://example.org/web']);
    expect(res.results[1]?.svid).toBeUndefined();
  });

  it('NewJWTSVID: a token for the authorized entry, with the entry ID as sub', async () => {
    const res = okJwt(await jwt(tlsClient(agent), mine, ['a', 'b']));
    const claims = JSON.parse(
      Buffer.from(res.svid?.token.split('.')[1] ?? '', 'base64url').toString(),
    );
    expect(claims).toMatchObject({ sub: 'spiffe://example.org/web', aud: ['a', 'b'] });
    expect(res.svid?.id).toMatchObject({ trustDomain: 'example.org', path: '/web' });
    expect(Number(res.svid?.expiresAt)).toBe(claims.exp);
    expect(Number(res.svid?.issuedAt)).toBe(claims.iat);
  });

  it('many calls on one connection, in flight together, each answered', async () => {
    const client = tlsClient(agent);
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => jwt(client, mine, [`aud-${i}`])),
    );
    const auds = answers.map((a) => {
      const token = okJwt(a).svid?.token.split('.')[1] ?? '';
      return JSON.parse(Buffer.from(token, 'base64url').toString()).aud;
    });
    expect(auds).toEqual(Array.from({ length: 20 }, (_, i) => [`aud-${i}`]));
  });
});

describe('refused callers (reference §3.8, §3.9): exact code, message and details', () => {
  it('no client certificate: PermissionDenied without details', async () => {
    const { der: csr } = await makeCsr();
    expect(failure(await batch(tlsClient(), [{ entryId: mine, csr }]))).toEqual({
      code: Code.PermissionDenied,
      message: denied(BATCH),
      reasons: [],
    });
    expect(failure(await jwt(tlsClient(), mine, ['a']))).toEqual({
      code: Code.PermissionDenied,
      message: denied(JWT),
      reasons: [],
    });
  });

  it('the admin socket (a local caller): PermissionDenied, the methods are agent-only', async () => {
    expect(failure(await jwt(localClient(), mine, ['a']))).toEqual({
      code: Code.PermissionDenied,
      message: denied(JWT),
      reasons: [],
    });
  });

  it('an SVID of another trust domain: Unauthenticated, no bundle for it', async () => {
    const now = Date.now();
    const times = { notBefore: new Date(now - 60_000), notAfter: new Date(now + 3_600_000) };
    const root = await makeCert({ subject: 'CN=other root', ca: true, ...times });
    const leaf = await makeCert({
      subject: 'CN=other agent',
      issuer: root,
      uris: ['spiffe://other.org/spire/agent/join_token/mine'],
      ...times,
    });
    const keyPem = leaf.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const foreign = { ...agent, certPem: leaf.pem, keyPem };
    expect(failure(await jwt(tlsClient(foreign), mine, ['a']))).toEqual({
      code: Code.Unauthenticated,
      message:
        'caller certificate is not a valid X509-SVID: no bundle for trust domain "other.org"',
      reasons: [],
    });
  });

  it('a workload SVID of our trust domain: PermissionDenied without details', async () => {
    const workload = await h.mintSvid('/web');
    expect(failure(await jwt(tlsClient(workload), mine, ['a']))).toEqual({
      code: Code.PermissionDenied,
      message: denied(JWT),
      reasons: [],
    });
  });

  it('a banned agent: PermissionDenied with AGENT_BANNED in grpc-status-details-bin', async () => {
    const banned = (
      await h.attestedAgent('/spire/agent/join_token/banned', { node: { certSerialNumber: '' } })
    ).svid;
    const { der: csr } = await makeCsr();
    expect(failure(await batch(tlsClient(banned), [{ entryId: mine, csr }]))).toEqual({
      code: Code.PermissionDenied,
      message: denied(BATCH),
      reasons: [Reason.AGENT_BANNED],
    });
  });

  it('an agent that is not attested: AGENT_NOT_ATTESTED; an old SVID: AGENT_NOT_ACTIVE', async () => {
    const stranger = await h.mintSvid('/spire/agent/join_token/stranger');
    expect(failure(await jwt(tlsClient(stranger), mine, ['a']))).toEqual({
      code: Code.PermissionDenied,
      message: denied(JWT),
      reasons: [Reason.AGENT_NOT_ATTESTED],
    });
    const old = await h.mintSvid(agent.id);
    expect(failure(await jwt(tlsClient(old), mine, ['a']))).toEqual({
      code: Code.PermissionDenied,
      message: denied(JWT),
      reasons: [Reason.AGENT_NOT_ACTIVE],
    });
  });

  it('the details trailer is byte for byte what the Connect path sends for the same error', async () => {
    const evicted = (await h.attestedAgent('/spire/agent/join_token/evicted')).svid;
    await h.datastore.deleteAttestedNode(evicted.id);
    await h.ctx.changed.nodes([evicted.id]);
    const res = await jwt(tlsClient(evicted), mine, ['a']);
    if (res.ok) throw new Error('the call succeeded');
    const connect = setTrailerStatus(
      new Headers(),
      new ConnectError(denied(JWT), Code.PermissionDenied, undefined, [
        { desc: PermissionDeniedDetailsSchema, value: { reason: Reason.AGENT_NOT_ATTESTED } },
      ]),
    ).get('grpc-status-details-bin');
    expect(connect).not.toBeNull();
    const sent = res.metadata.get('grpc-status-details-bin')[0] as Buffer;
    expect(sent.toString('base64').replace(/=+$/, '')).toBe(connect);
  });

  it('an entry not authorized to the agent: NotFound, and an empty audience: InvalidArgument', async () => {
    const client = tlsClient(agent);
    expect(failure(await jwt(client, theirs, ['a']))).toEqual({
      code: Code.NotFound,
      message: 'entry not found or not authorized',
      reasons: [],
    });
    expect(failure(await jwt(client, mine, []))).toEqual({
      code: Code.InvalidArgument,
      message: 'at least one audience is required',
      reasons: [],
    });
    expect(failure(await batch(client, []))).toEqual({
      code: Code.InvalidArgument,
      message: 'missing parameters',
      reasons: [],
    });
  });
});

/** A TLS h2 session presenting `svid`, for requests grpc clients would never send. */
async function rawSession(svid: HarnessSvid): Promise<http2.ClientHttp2Session> {
  const session = http2.connect(`https://127.0.0.1:${h.tcpPort}`, {
    ca: h.bundlePem(),
    cert: svid.certPem,
    key: svid.keyPem,
    checkServerIdentity: () => undefined,
  });
  sessions.push(session);
  await once(session, 'connect');
  return session;
}

/** A gRPC frame: flag, big-endian length, bytes (PROTOCOL-HTTP2 "Length-Prefixed-Message"). */
function frame(message: Uint8Array, length = message.length): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(length, 1);
  return Buffer.concat([head, message]);
}

function statusOf(answer: RawAnswer) {
  const where = answer.headers['grpc-status'] !== undefined ? answer.headers : answer.trailers;
  const message = where['grpc-message'];
  return {
    code: Number(where['grpc-status']),
    message: typeof message === 'string' ? decodeURIComponent(message) : '',
  };
}

describe('request bytes that are not a request (PROTOCOL-HTTP2): a status, never a crash', () => {
  it('is served on the raw path: the answer names the encodings ServerCall reads', async () => {
    const session = await rawSession(agent);
    const body = toBinary(
      NewJWTSVIDRequestSchema,
      create(NewJWTSVIDRequestSchema, { entryId: mine, audience: ['a'] }),
    );
    const answer = await rawGrpcCall(session, JWT, frame(body));
    expect(statusOf(answer)).toEqual({ code: 0, message: '' });
    expect(answer.headers['grpc-accept-encoding']).toBe('identity,gzip');
    const res = fromBinary(NewJWTSVIDResponseSchema, answer.body.subarray(5));
    expect(res.svid?.id).toMatchObject({ trustDomain: 'example.org', path: '/web' });
  });

  it('undecodable protobuf: Internal `parse binary: ...`, as Connect words it for the same bytes', async () => {
    const session = await rawSession(agent);
    // Field 1 with wire type 7, which does not exist (protobuf encoding, "Message Structure").
    const garbage = Buffer.from([0x0f, 0x01, 0x02]);
    const raw = statusOf(await rawGrpcCall(session, JWT, frame(garbage)));
    // MintJWTSVID stays on Connect, which parses the request before authorizing it too.
    const connect = statusOf(await rawGrpcCall(session, MINT_JWT, frame(garbage)));
    expect(connect.code).toBe(Code.Internal);
    expect(connect.message).toMatch(/^parse binary: /);
    expect(raw).toEqual(connect);
    expect(statusOf(await rawGrpcCall(session, BATCH, frame(garbage)))).toEqual(connect);
  });

  it('truncated, missing, oversized and doubled messages each end with their status', async () => {
    const session = await rawSession(agent);
    const request = toBinary(
      NewJWTSVIDRequestSchema,
      create(NewJWTSVIDRequestSchema, { entryId: mine, audience: ['a'] }),
    );
    expect(statusOf(await rawGrpcCall(session, JWT, frame(request).subarray(0, 8)))).toEqual({
      code: Code.Internal,
      message: 'the request ended inside a message',
    });
    expect(statusOf(await rawGrpcCall(session, JWT, Buffer.alloc(0)))).toEqual({
      code: Code.Unimplemented,
      message: 'the request ended without a message',
    });
    const limit = 4 * 1024 * 1024;
    expect(statusOf(await rawGrpcCall(session, BATCH, frame(Buffer.alloc(0), limit + 1)))).toEqual({
      code: Code.ResourceExhausted,
      message: `received message larger than max (${limit + 1} vs. ${limit})`,
    });
    expect(
      statusOf(await rawGrpcCall(session, JWT, Buffer.concat([frame(request), frame(request)]))),
    ).toEqual({
      code: Code.Unimplemented,
      message: 'received a second request message for a method that takes one',
    });
    // The server still answers on the same connection.
    expect(statusOf(await rawGrpcCall(session, JWT, frame(request)))).toEqual({
      code: 0,
      message: '',
    });
  });

  it('grpc-timeout (PROTOCOL-HTTP2 "Timeout"): passed is DeadlineExceeded, malformed is Internal', async () => {
    const session = await rawSession(agent);
    // The request is never sent whole, so only the deadline can end the call.
    const stalled = new Promise<RawAnswer>((resolve, reject) => {
      const stream = session.request({
        ':method': 'POST',
        ':path': JWT,
        'content-type': 'application/grpc',
        'grpc-timeout': '50m',
      });
      let headers: http2.IncomingHttpHeaders = {};
      stream.on('response', (h) => {
        headers = h;
      });
      stream.on('error', reject);
      stream.on('close', () => resolve({ headers, trailers: {}, body: Buffer.alloc(0) }));
      stream.write(Buffer.from([0, 0, 0, 0, 10]));
    });
    expect(statusOf(await stalled)).toEqual({
      code: Code.DeadlineExceeded,
      message: 'deadline exceeded',
    });
    const request = toBinary(
      NewJWTSVIDRequestSchema,
      create(NewJWTSVIDRequestSchema, { entryId: mine, audience: ['a'] }),
    );
    expect(
      statusOf(await rawGrpcCall(session, JWT, frame(request), { 'grpc-timeout': 'soon' })),
    ).toEqual({ code: Code.Internal, message: 'malformed grpc-timeout "soon"' });
  });

  it('a request of exactly 4 MiB is read, then refused by the entry check', async () => {
    const session = await rawSession(agent);
    const limit = 4 * 1024 * 1024;
    // entry_id (field 1) padded so that the whole message is exactly 4 MiB.
    const id = 'x'.repeat(limit - 1 - 4);
    const body = toBinary(
      NewJWTSVIDRequestSchema,
      create(NewJWTSVIDRequestSchema, { entryId: id, audience: [] }),
    );
    expect(body.length).toBe(limit);
    expect(statusOf(await rawGrpcCall(session, JWT, frame(body)))).toEqual({
      code: Code.NotFound,
      message: 'entry not found or not authorized',
    });
  });
});
