import { SpiffeError } from '@spire-ts/spiffe';

/** Stable codes of gRPC listener errors. */
export const GrpcServerErrorCode = {
  /** The listen options are incomplete or contradictory. */
  InvalidOptions: 'ERR_GRPC_INVALID_OPTIONS',
  /** Plain-text TCP was asked for on an address other than loopback. */
  PlaintextNotLoopback: 'ERR_GRPC_PLAINTEXT_NOT_LOOPBACK',
  /** Something other than a socket already sits at the socket path. */
  PathNotSocket: 'ERR_GRPC_SOCKET_PATH_NOT_SOCKET',
  /** A running process still listens on the socket path. */
  SocketInUse: 'ERR_GRPC_SOCKET_IN_USE',
  /** The listener could not be opened. */
  Listen: 'ERR_GRPC_LISTEN',
} as const;

/** One of the stable gRPC listener error codes. */
export type GrpcServerErrorCode = (typeof GrpcServerErrorCode)[keyof typeof GrpcServerErrorCode];

/** A failure to open or run a gRPC listener, with an `ERR_GRPC_*` code. */
export class GrpcServerError extends SpiffeError {
  declare readonly code: GrpcServerErrorCode;

  constructor(code: GrpcServerErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
