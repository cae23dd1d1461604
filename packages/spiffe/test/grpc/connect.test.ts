import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import * as grpc from '@grpc/grpc-js';
import {
  type Authorizer,
  createSpiffeGrpcTransport,
  matchAny,
  matchId,
  SpiffeId,
} from '@spire-ts/spiffe';
import { afterEach, describe, expect, it } from 'vitest';
import {
  SpiffeWorkloadAPI,
  type ValidateJWTSVIDRequest,
  ValidateJWTSVIDRequestSchema,
  type ValidateJWTSVIDResponse,
  ValidateJWTSVIDResponseSchema,
} from '../../src/gen/workload_pb.js';
import { callerSpiffeId, spiffeServerCredentials } from '../../src/grpc/index.js';
import { bundlesOf, svidFor } from '../tls/support.js';
import { trustDomain } from '../workloadapi/support.js';
import { RotatingSource } from './support.js';

// A Connect client (@connectrpc/connect-node, gRPC protocol) against a grpc-js server, both doing
// SPIFFE mTLS. The service is the Workload API's ValidateJWTSVID, used here only as a ready-made
// protobuf method: the server answers with the caller's SPIFFE ID as the subject.
const td = trustDomain('example.org');
const serverId = SpiffeId.fromString('spiffe://example.org/server');

const servers: grpc.Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.forceShutdown();
});

const validateMethod: grpc.ServiceDefinition = {
  validate: {
    path: '/SpiffeWorkloadAPI/ValidateJWTSVID',
    requestStream: false,
    responseStream: false,
    requestSerialize: (m: ValidateJWTSVIDRequest) =>
      Buffer.from(toBinary(ValidateJWTSVIDRequestSchema, m)),
    requestDeserialize: (b: Buffer) => fromBinary(ValidateJWTSVIDRequestSchema, b),
    responseSerialize: (m: ValidateJWTSVIDResponse) =>
      Buffer.from(toBinary(ValidateJWTSVIDResponseSchema, m)),
    responseDeserialize: (b: Buffer) => fromBinary(ValidateJWTSVIDResponseSchema, b),
  },
};

async function grpcJsServer(authorize: Authorizer = matchAny()): Promise<number> {
  const server = new grpc.Server();
  servers.push(server);
  server.addService(validateMethod, {
    validate: (
      call: grpc.ServerUnaryCall<ValidateJWTSVIDRequest, ValidateJWTSVIDResponse>,
      cb: grpc.sendUnaryData<ValidateJWTSVIDResponse>,
    ) => {
      const caller = callerSpiffeId(call).toString();
      cb(
        null,
        create(ValidateJWTSVIDResponseSchema, { spiffeId: `${caller} ${call.request.audience}` }),
      );
    },
  });
  const source = new RotatingSource(svidFor(td, '/server'), bundlesOf(td));
  return new Promise((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', spiffeServerCredentials(source, authorize), (err, port) =>
      err ? reject(err) : resolve(port),
    ),
  );
}

function connectClient(port: number, authorize: Authorizer = matchId(serverId)) {
  const transport = createSpiffeGrpcTransport({
    baseUrl: `https://127.0.0.1:${port}`,
    source: new RotatingSource(svidFor(td, '/connect-client'), bundlesOf(td)),
    authorize,
  });
  return createClient(SpiffeWorkloadAPI, transport);
}

describe('createSpiffeGrpcTransport (Connect client, grpc-js server)', () => {
  it('completes SPIFFE mTLS both ways', async () => {
    const port = await grpcJsServer();

    const res = await connectClient(port).validateJWTSVID({ audience: 'aud', svid: 'x' });

    expect(res.spiffeId).toBe('spiffe://example.org/connect-client aud');
  });

  it('refuses a server whose id the authorizer rejects, naming it', async () => {
    const port = await grpcJsServer();
    const client = connectClient(port, matchId(SpiffeId.fromString('spiffe://example.org/db')));

    const err = ConnectError.from(
      await client.validateJWTSVID({ audience: 'aud', svid: 'x' }).catch((e) => e),
    );

    expect(err.code).toBe(Code.Unavailable);
    expect((err.cause as { code?: string }).code).toBe('ERR_TLS_PEER_UNAUTHORIZED');
    expect(err.rawMessage).toBe(
      'server spiffe://example.org/server is not authorized: unexpected spiffe id spiffe://example.org/server: expected spiffe://example.org/db',
    );
  });

  it('is answered PERMISSION_DENIED by a server that does not authorize it', async () => {
    const port = await grpcJsServer(matchId(SpiffeId.fromString('spiffe://example.org/only')));

    const err = ConnectError.from(
      await connectClient(port)
        .validateJWTSVID({ audience: 'aud', svid: 'x' })
        .catch((e) => e),
    );

    expect(err.code).toBe(Code.PermissionDenied);
    expect(err.rawMessage).toBe(
      'client spiffe://example.org/connect-client is not authorized: unexpected spiffe id spiffe://example.org/connect-client: expected spiffe://example.org/only',
    );
  });
});
