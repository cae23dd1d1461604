import type { IncomingHttpHeaders } from 'node:http2';
import type { DescMessage, MessageShape } from '@bufbuild/protobuf';
import { Code, ConnectError } from '@connectrpc/connect';
import {
  JWTBundlesRequestSchema,
  JWTSVIDRequestSchema,
  ValidateJWTSVIDRequestSchema,
  X509BundlesRequestSchema,
  X509SVIDRequestSchema,
} from '@spire-ts/spiffe/workload-proto';
import {
  isGrpcProtoContentType,
  type PeerInfo,
  type RawStreamHandler,
  refuseContentType,
  ServerCall,
} from '../../../common/grpc/index.js';
import { LogField, type SpireLogger } from '../../../common/log/index.js';
import type { WorkloadApiHandler, WorkloadCall } from './handler.js';
import { WorkloadStatus } from './status.js';

/** Workload Endpoint §3: the metadata key every Workload API request carries. */
export const SECURITY_HEADER = 'workload.spiffe.io';

/** workload.proto has no package: the service's paths are `/SpiffeWorkloadAPI/<Method>`. */
const SERVICE = 'SpiffeWorkloadAPI';
const PREFIX = `/${SERVICE}/`;

type Unary = {
  readonly kind: 'unary';
  readonly request: DescMessage;
  readonly run: (h: WorkloadApiHandler, req: never, call: WorkloadCall) => Promise<Uint8Array>;
};
type Stream = {
  readonly kind: 'stream';
  readonly request: DescMessage;
  readonly run: (h: WorkloadApiHandler, call: WorkloadCall) => AsyncIterable<Uint8Array>;
};
type Refused = { readonly kind: 'refused'; readonly status: () => ConnectError };
type Method = Unary | Stream | Refused;

function unary<D extends DescMessage>(
  request: D,
  run: (h: WorkloadApiHandler, req: MessageShape<D>, call: WorkloadCall) => Promise<Uint8Array>,
): Unary {
  return { kind: 'unary', request, run: run as Unary['run'] };
}

/** The methods of workload.proto, by path (Workload API §5, §6; §1.1 for the WIT profile). */
const METHODS = new Map<string, Method>([
  [
    `${PREFIX}FetchX509SVID`,
    { kind: 'stream', request: X509SVIDRequestSchema, run: (h, c) => h.fetchX509SVID(c) },
  ],
  [
    `${PREFIX}FetchX509Bundles`,
    { kind: 'stream', request: X509BundlesRequestSchema, run: (h, c) => h.fetchX509Bundles(c) },
  ],
  [
    `${PREFIX}FetchJWTBundles`,
    { kind: 'stream', request: JWTBundlesRequestSchema, run: (h, c) => h.fetchJWTBundles(c) },
  ],
  [`${PREFIX}FetchJWTSVID`, unary(JWTSVIDRequestSchema, (h, r, c) => h.fetchJWTSVID(r, c))],
  [
    `${PREFIX}ValidateJWTSVID`,
    unary(ValidateJWTSVIDRequestSchema, (h, r, c) => h.validateJWTSVID(r, c)),
  ],
  [`${PREFIX}FetchWITSVID`, { kind: 'refused', status: WorkloadStatus.witUnsupported }],
  [`${PREFIX}FetchWITBundles`, { kind: 'refused', status: WorkloadStatus.witUnsupported }],
]);

/** Options of {@link workloadApiStreams}. */
export interface WorkloadApiStreamsOptions {
  readonly handler: WorkloadApiHandler;
  readonly log: SpireLogger;
  /** Largest request message read; a bigger one is ResourceExhausted before it is buffered. */
  readonly readMaxBytes: number;
}

/**
 * The SpiffeWorkloadAPI service served directly on the HTTP/2 streams of the public socket, with
 * hand-written gRPC wire code (`ServerCall`) instead of a general-purpose stack: it takes every
 * POST to `/SpiffeWorkloadAPI/...` and leaves the rest (health, other paths) to Connect.
 * Each call: gRPC content-type (else HTTP 415), a known method (else Unimplemented), the security
 * header (else InvalidArgument, Workload Endpoint §3), then the one request message and the
 * handler. A client cancel or the `grpc-timeout` deadline ends the handler's work.
 */
export function workloadApiStreams(options: WorkloadApiStreamsOptions): RawStreamHandler {
  const callOptions = {
    readMaxBytes: options.readMaxBytes,
    onInternalError: (err: unknown) =>
      options.log.error({ [LogField.Error]: err }, 'Workload API call failed'),
  };
  return (stream, headers, peer) => {
    const path = headers[':path'];
    if (typeof path !== 'string' || !path.startsWith(PREFIX) || headers[':method'] !== 'POST') {
      return false;
    }
    const contentType = headers['content-type'];
    if (!isGrpcProtoContentType(contentType)) {
      refuseContentType(stream, contentType);
      return true;
    }
    const call = new ServerCall(stream, headers, callOptions);
    void serveCall(options.handler, call, { path, headers, peer });
    return true;
  };
}

interface Incoming {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly peer: PeerInfo | undefined;
}

async function serveCall(handler: WorkloadApiHandler, call: ServerCall, incoming: Incoming) {
  try {
    const method = METHODS.get(incoming.path);
    if (method === undefined) throw unknownMethod(incoming.path);
    // Node joins repeated values with ", ", so two `true` values do not pass either.
    if (incoming.headers[SECURITY_HEADER] !== 'true') throw WorkloadStatus.securityHeaderMissing();
    if (method.kind === 'refused') throw method.status();

    const request = await call.readRequest(method.request, 'failed to parse the request message');
    const context: WorkloadCall = { peer: incoming.peer, signal: call.signal };
    if (method.kind === 'unary') {
      call.send(await method.run(handler, request as never, context));
    } else {
      for await (const message of method.run(handler, context)) {
        if (!call.send(message)) break;
      }
    }
    call.end();
  } catch (err) {
    call.end(err);
  }
}

function unknownMethod(path: string): ConnectError {
  const method = path.slice(PREFIX.length);
  return new ConnectError(
    `unknown method ${JSON.stringify(method)} for service ${SERVICE}`,
    Code.Unimplemented,
  );
}
