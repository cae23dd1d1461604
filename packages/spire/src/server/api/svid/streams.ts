/**
 * The agents' two hot SVID methods, BatchNewX509SVID and NewJWTSVID, served directly on the
 * HTTP/2 streams of the server API listeners with hand-written gRPC wire code (`ServerCall`,
 * grpc/grpc PROTOCOL-HTTP2.md) instead of Connect, whose per-call cost was most of a NewJWTSVID.
 *
 * The behaviour is the Connect path's, step for step: the one request message is read (4 MiB
 * limit, gzip accepted) and decoded with protobuf-es, the caller is authorized by the same
 * `authorizeCall` the interceptor runs (so the same codes, messages, PermissionDenied details and
 * log lines), the request logger has the same fields, and the same functions make the SVIDs.
 * Anything else (other methods, other content types such as `application/grpc+json`, other HTTP
 * methods) is left to Connect.
 */
import { create, type DescMessage, type MessageShape, toBinary } from '@bufbuild/protobuf';
import {
  isGrpcProtoContentType,
  type PeerInfo,
  type RawStreamHandler,
  ServerCall,
} from '../../../common/grpc/index.js';
import { LogField, type SpireLogger } from '../../../common/log/index.js';
import {
  BatchNewX509SVIDRequestSchema,
  NewJWTSVIDRequestSchema,
  NewJWTSVIDResponseSchema,
  SVID,
} from '../../../gen/spire/api/server/svid/v1/svid_pb.js';
import { requestLog } from '../agent/service.js';
import { authorizeCall } from '../authorize.js';
import type { AuthorizedCaller, ServerContext } from '../context.js';
import { batchNewX509SvidResults, newJwtSvid } from './agent-svids.js';
import { batchResponseBytes } from './batch-results.js';

/** grpc-go's (and so SPIRE's) largest request message, as `serveGrpc` defaults to. */
const DEFAULT_READ_MAX_BYTES = 4 * 1024 * 1024;

interface Method<D extends DescMessage> {
  /** The short name, as the request logger names it. */
  readonly name: string;
  readonly request: D;
  readonly run: (
    ctx: ServerContext,
    log: SpireLogger,
    who: AuthorizedCaller,
    req: MessageShape<D>,
  ) => Promise<Uint8Array>;
}

function method<D extends DescMessage>(
  name: string,
  request: D,
  run: Method<D>['run'],
): Method<DescMessage> {
  return { name, request, run: run as Method<DescMessage>['run'] };
}

/** The methods taken, by full gRPC path. */
const METHODS = new Map<string, Method<DescMessage>>([
  [
    `/${SVID.typeName}/BatchNewX509SVID`,
    method('BatchNewX509SVID', BatchNewX509SVIDRequestSchema, async (ctx, log, who, req) =>
      batchResponseBytes(await batchNewX509SvidResults(ctx, log, who, req)),
    ),
  ],
  [
    `/${SVID.typeName}/NewJWTSVID`,
    method('NewJWTSVID', NewJWTSVIDRequestSchema, async (ctx, log, who, req) => {
      const svid = await newJwtSvid(ctx, log, who, req);
      return toBinary(NewJWTSVIDResponseSchema, create(NewJWTSVIDResponseSchema, { svid }));
    }),
  ],
]);

/** The full paths served by {@link svidStreams}. */
export const SVID_STREAM_PATHS: readonly string[] = [...METHODS.keys()];

/** Options of {@link svidStreams}. */
export interface SvidStreamsOptions {
  /** Largest request message read (default 4 MiB, as the Connect routes). */
  readonly readMaxBytes?: number;
}

/**
 * A `rawStreams` hook for `serveGrpc` that takes gRPC POSTs to BatchNewX509SVID and NewJWTSVID
 * and leaves every other stream to the Connect routes. Give it to every listener that serves the
 * SVID service (the TLS port and the admin socket): the authorization is per call, from the
 * connection's peer, exactly as for Connect.
 */
export function svidStreams(
  ctx: ServerContext,
  options: SvidStreamsOptions = {},
): RawStreamHandler {
  const callOptions = {
    readMaxBytes: options.readMaxBytes ?? DEFAULT_READ_MAX_BYTES,
    onInternalError: (err: unknown) =>
      ctx.log.error({ [LogField.Error]: err }, 'SVID API call failed'),
  };
  return (stream, headers, peer) => {
    if (headers[':method'] !== 'POST') return false;
    const path = headers[':path'];
    const taken = typeof path === 'string' ? METHODS.get(path) : undefined;
    if (taken === undefined) return false;
    // Connect answers other content types (JSON codec, or none) as it always has.
    if (!isGrpcProtoContentType(headers['content-type'])) return false;
    const call = new ServerCall(stream, headers, callOptions);
    void serveCall(ctx, call, path as string, taken, peer);
    return true;
  };
}

async function serveCall(
  ctx: ServerContext,
  call: ServerCall,
  path: string,
  method: Method<DescMessage>,
  peer: PeerInfo | undefined,
): Promise<void> {
  try {
    // As Connect: the request is read and parsed before the caller is authorized.
    // Connect's wording for bytes that are not the method's message.
    const request = await call.readRequest(method.request, 'parse binary');
    const who = await authorizeCall(ctx, path, peer);
    const log = requestLog(ctx, method.name, who);
    const response = await method.run(ctx, log, who, request);
    call.send(response);
    call.end();
  } catch (err) {
    call.end(err);
  }
}
