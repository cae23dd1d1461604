// The server as started by startServer serves the agents' BatchNewX509SVID and NewJWTSVID on the
// raw-stream path on both API listeners (the TLS port and the admin socket), authorized per call
// (reference §3.3, §3.8); other SVID methods stay on Connect.
import { generateKeyPairSync } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import http2 from 'node:http2';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { Code } from '@connectrpc/connect';
import { SpiffeId } from '@spire-ts/spiffe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/common/config/index.js';
import { createLogger } from '../../../src/common/log/index.js';
import {
  NewJWTSVIDRequestSchema,
  NewJWTSVIDResponseSchema,
} from '../../../src/gen/spire/api/server/svid/v1/svid_pb.js';
import { buildServerConfig } from '../../../src/server/config/index.js';
import { toPem } from '../../../src/server/runtime/server-svid.js';
import { type RunningServer, startServer } from '../../../src/server/server.js';
import { rawGrpcCall } from '../../support/raw-grpc.js';

const JWT = '/spire.api.server.svid.v1.SVID/NewJWTSVID';
const MINT_JWT = '/spire.api.server.svid.v1.SVID/MintJWTSVID';
const dir = mkdtempSync(join(tmpdir(), 'spire-svid-streams-'));
const port = 20_000 + ((process.pid + 7_919) % 20_000);
const log = createLogger({ stream: { write: () => undefined } }).logger;
const sessions: http2.ClientHttp2Session[] = [];
let server: RunningServer;
let agent: { certPem: string; keyPem: string };
let entryId: string;

beforeAll(async () => {
  const config = buildServerConfig(
    parseConfigText(
      `server {
        trust_domain = "example.org"
        data_dir = "${dir}/data"
        bind_address = "127.0.0.1"
        bind_port = "${port}"
        socket_path = "${dir}/api.sock"
      }
      plugins {
        DataStore "sql" { plugin_data { database_type = "sqlite3" connection_string = "${dir}/data/ds.sqlite3" } }
        KeyManager "memory" { plugin_data {} }
        NodeAttestor "join_token" { plugin_data {} }
      }`,
      join(dir, 'server.conf'),
    ),
  );
  server = await startServer(config, { log });
  const { ctx } = server;
  const agentId = SpiffeId.fromString('spiffe://example.org/spire/agent/join_token/wired');
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const signed = await ctx.ca.signAgentX509Svid({ spiffeId: agentId, publicKey });
  await ctx.datastore.createAttestedNode({
    spiffeId: agentId.toString(),
    attestationDataType: 'join_token',
    certSerialNumber: signed.serial.toString('hex').replace(/^0+/, '') || '0',
    certNotAfter: Math.floor(signed.notAfterMs / 1000),
  });
  await ctx.changed.nodes([agentId.toString()]);
  const entry = await ctx.datastore.createEntry({
    parentId: agentId.toString(),
    spiffeId: 'spiffe://example.org/wired',
    selectors: [{ type: 'unix', value: 'uid:1' }],
  });
  await ctx.changed.entries([entry.id]);
  entryId = entry.id;
  agent = {
    certPem: signed.certChain.map((d) => toPem(d)).join(''),
    keyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
  };
}, 30_000);
afterAll(async () => {
  for (const s of sessions) s.destroy();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function tlsSession(): Promise<http2.ClientHttp2Session> {
  const session = http2.connect(`https://127.0.0.1:${server.tcpPort}`, {
    ca: server.ctx.ca.bundle().x509Authorities.map((d) => toPem(d)),
    cert: agent.certPem,
    key: agent.keyPem,
    checkServerIdentity: () => undefined,
  });
  sessions.push(session);
  await once(session, 'connect');
  return session;
}

async function socketSession(): Promise<http2.ClientHttp2Session> {
  const session = http2.connect('http://localhost', {
    createConnection: () => net.connect(server.socketPath),
  });
  sessions.push(session);
  await once(session, 'connect');
  return session;
}

interface Answer {
  readonly status: { code: number; message: string };
  readonly acceptEncoding: unknown;
  readonly body: Buffer;
}

async function call(
  session: http2.ClientHttp2Session,
  path: string,
  message: Uint8Array,
): Promise<Answer> {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(message.length, 1);
  const { headers, trailers, body } = await rawGrpcCall(
    session,
    path,
    Buffer.concat([head, message]),
  );
  const where = headers['grpc-status'] !== undefined ? headers : trailers;
  const text = where['grpc-message'];
  return {
    status: {
      code: Number(where['grpc-status']),
      message: typeof text === 'string' ? decodeURIComponent(text) : '',
    },
    acceptEncoding: headers['grpc-accept-encoding'],
    body,
  };
}

const jwtRequest = (id: string) =>
  toBinary(
    NewJWTSVIDRequestSchema,
    create(NewJWTSVIDRequestSchema, { entryId: id, audience: ['x'] }),
  );

describe('startServer wires svidStreams onto both API listeners', () => {
  it('TLS port: an attested agent gets a JWT-SVID from the raw path', async () => {
    const answer = await call(await tlsSession(), JWT, jwtRequest(entryId));
    expect(answer.status).toEqual({ code: 0, message: '' });
    // ServerCall's answer names the encodings it reads; Connect's names its own list.
    expect(answer.acceptEncoding).toBe('identity,gzip');
    const res = fromBinary(NewJWTSVIDResponseSchema, answer.body.subarray(5));
    expect(res.svid?.id).toMatchObject({ trustDomain: 'example.org', path: '/wired' });
  });

  it('admin socket: the local caller is refused the agent-only method by the raw path', async () => {
    const answer = await call(await socketSession(), JWT, jwtRequest(entryId));
    expect(answer.status).toEqual({
      code: Code.PermissionDenied,
      message: `authorization denied for method ${JWT}`,
    });
    expect(answer.acceptEncoding).toBe('identity,gzip');
  });

  it('MintJWTSVID stays on Connect (the local caller may call it)', async () => {
    const answer = await call(await socketSession(), MINT_JWT, new Uint8Array());
    expect(answer.status).toEqual({
      code: Code.InvalidArgument,
      message: 'invalid SPIFFE ID: request must name a SPIFFE ID',
    });
    expect(answer.acceptEncoding).not.toBe('identity,gzip');
  });
});
