import { Code, ConnectError } from '@connectrpc/connect';
import { WorkloadApiError, WorkloadApiErrorCode } from './errors.js';

/**
 * Turns whatever a call threw into a {@link WorkloadApiError} that says what the agent answered
 * and where, e.g. `no identity issued: PermissionDenied from the agent at unix:///run/agent.sock`.
 * Errors of the family pass through unchanged.
 */
export function rpcError(err: unknown, address: string): WorkloadApiError {
  if (err instanceof WorkloadApiError) return err;
  const connect = ConnectError.from(err);
  const said = connect.rawMessage === '' ? 'no message' : connect.rawMessage;
  if (isConnectionFailure(connect)) {
    // gRPC reports a transport failure as Unavailable (retried); Connect says Internal.
    return new WorkloadApiError(
      WorkloadApiErrorCode.RpcFailed,
      `${said}: Unavailable, cannot reach the agent at ${address}`,
      { grpcCode: Code[Code.Unavailable], address, cause: err },
    );
  }
  const grpcCode = Code[connect.code];
  return new WorkloadApiError(
    WorkloadApiErrorCode.RpcFailed,
    `${said}: ${grpcCode} from the agent at ${address}`,
    { grpcCode, address, cause: err },
  );
}

const CONNECTION_ERRNOS = new Set(['ENOENT', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'EACCES']);

function isConnectionFailure(err: ConnectError): boolean {
  const errno = (err.cause as { code?: unknown } | undefined)?.code;
  return typeof errno === 'string' && CONNECTION_ERRNOS.has(errno);
}

/** Workload Endpoint §6: InvalidArgument means the request itself is wrong; never retry it. */
export function isPermanent(err: WorkloadApiError): boolean {
  return err.grpcCode === Code[Code.InvalidArgument];
}
