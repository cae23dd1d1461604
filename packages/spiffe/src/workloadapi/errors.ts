import { SpiffeError } from '../errors.js';

/** Stable codes of {@link WorkloadApiError}. */
export const WorkloadApiErrorCode = {
  /** A response broke a mandatory-field rule of Workload API §5-§6; it was discarded whole. */
  MalformedResponse: 'ERR_WORKLOADAPI_MALFORMED_RESPONSE',
  /** The agent answered with a gRPC status other than OK (see `grpcCode`). */
  RpcFailed: 'ERR_WORKLOADAPI_RPC_FAILED',
  /** A source got no usable update from the agent within its start-up timeout. */
  Timeout: 'ERR_WORKLOADAPI_TIMEOUT',
  /** The client or source was closed. */
  Closed: 'ERR_WORKLOADAPI_CLOSED',
  /** No SVID matches the requested hint, ID or picker. */
  NoSvid: 'ERR_WORKLOADAPI_NO_SVID',
  /** A request argument broke a rule before anything was sent (e.g. an empty audience). */
  InvalidArgument: 'ERR_WORKLOADAPI_INVALID_ARGUMENT',
} as const;

/** One of the {@link WorkloadApiErrorCode} values. */
export type WorkloadApiErrorCode = (typeof WorkloadApiErrorCode)[keyof typeof WorkloadApiErrorCode];

/** Extra facts a {@link WorkloadApiError} may carry. */
export interface WorkloadApiErrorDetails {
  /** The gRPC status name the agent answered with, e.g. `PermissionDenied`. */
  grpcCode?: string;
  /** The Workload Endpoint address that was called, e.g. `unix:///run/spire/agent.sock`. */
  address?: string;
  cause?: unknown;
}

/** A Workload API call, watch or source failed; `code` says how. */
export class WorkloadApiError extends SpiffeError {
  declare readonly code: WorkloadApiErrorCode;
  /** The gRPC status name when the agent answered with an error status. */
  readonly grpcCode?: string;
  /** The address of the Workload Endpoint involved, when known. */
  readonly address?: string;

  constructor(code: WorkloadApiErrorCode, message: string, details: WorkloadApiErrorDetails = {}) {
    super(code, message, details.cause === undefined ? undefined : { cause: details.cause });
    if (details.grpcCode !== undefined) this.grpcCode = details.grpcCode;
    if (details.address !== undefined) this.address = details.address;
  }
}

/** Shorthand for a malformed-response error naming the field and the rule. */
export function malformed(message: string, cause?: unknown): WorkloadApiError {
  return new WorkloadApiError(WorkloadApiErrorCode.MalformedResponse, message, { cause });
}
