import net from 'node:net';
import {
  type Client,
  Code,
  ConnectError,
  createClient,
  type Interceptor,
  type Transport,
} from '@connectrpc/connect';
import { createGrpcTransport, Http2SessionManager } from '@connectrpc/connect-node';
import { SpiffeWorkloadAPI } from '@spire-ts/spiffe/workload-proto';
import { DEFAULT_WORKLOAD_SOCKET_PATH } from '../../../agent/endpoints/endpoint.js';
import type { FlagSpec } from '../../../common/cli/flagset.js';

/** The flags every `spire-agent api` command takes, as SPIRE defines them. */
export const API_FLAGS: readonly FlagSpec[] = [
  {
    name: 'socketPath',
    kind: 'string',
    usage: 'Path to the SPIRE Agent API socket',
    default: DEFAULT_WORKLOAD_SOCKET_PATH,
  },
  { name: 'timeout', kind: 'duration', usage: 'Time to wait for a response', default: 1_000 },
];

/** A Workload API client on a Unix socket that sends `workload.spiffe.io: true` on every call. */
export interface WorkloadApiConnection {
  readonly api: Client<typeof SpiffeWorkloadAPI>;
  /** Milliseconds each call may take (0 = no limit), from `-timeout`. */
  readonly timeoutMs: number;
  close(): void;
}

const securityHeader: Interceptor = (next) => (req) => {
  req.header.set('workload.spiffe.io', 'true');
  return next(req);
};

/** A gRPC transport over the Unix socket at `socketPath` (connects lazily) and its closer. */
export function unixGrpcTransport(
  socketPath: string,
  interceptors: Interceptor[] = [],
): { transport: Transport; close(): void } {
  const nodeOptions = { createConnection: () => net.connect(socketPath) };
  const sessionManager = new Http2SessionManager('http://localhost', {}, nodeOptions);
  const transport = createGrpcTransport({
    baseUrl: 'http://localhost',
    sessionManager,
    interceptors,
  });
  return { transport, close: () => sessionManager.abort() };
}

/** Connects (lazily) to the Workload API at `socketPath`. */
export function connectWorkloadApi(socketPath: string, timeoutMs: number): WorkloadApiConnection {
  const { transport, close } = unixGrpcTransport(socketPath, [securityHeader]);
  return { api: createClient(SpiffeWorkloadAPI, transport), timeoutMs, close };
}

/**
 * An error as SPIRE's CLI prints it: a gRPC status as `rpc error: code = <Code> desc = <msg>`,
 * anything else by its message.
 */
export function describeError(err: unknown): string {
  if (err instanceof ConnectError) {
    // Connect reports a failed dial as Internal; gRPC (and SPIRE's CLI) call it Unavailable.
    const dial = dialFailure(err);
    if (dial) return `rpc error: code = Unavailable desc = connection error: ${dial}`;
    return `rpc error: code = ${goCodeName(err.code)} desc = ${err.rawMessage}`;
  }
  return err instanceof Error ? err.message : String(err);
}

/** Go's name of a gRPC status code (`PermissionDenied`, `DeadlineExceeded`, ...). */
export function goCodeName(code: Code): string {
  return Code[code] ?? `Code(${code})`;
}

function dialFailure(err: ConnectError): string | undefined {
  let cause: unknown = err.cause;
  while (cause instanceof Error) {
    if ((cause as NodeJS.ErrnoException).syscall === 'connect') return cause.message;
    cause = cause.cause;
  }
  return undefined;
}
