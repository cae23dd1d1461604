import { Code, ConnectError } from '@connectrpc/connect';
import { SpiffeError } from '@spire-ts/spiffe';
import {
  type PermissionDeniedDetails,
  PermissionDeniedDetailsSchema,
  PermissionDeniedDetails_Reason as Reason,
} from '../../gen/spire/api/types/status_pb.js';

/** Stable codes of the agent's server client. */
export const AgentClientErrorCode = {
  /** The server answered with something the protocol does not allow. */
  MalformedResponse: 'ERR_AGENT_CLIENT_MALFORMED_RESPONSE',
  /** The server refused the agent (PermissionDenied); `reason` says why. */
  PermissionDenied: 'ERR_AGENT_CLIENT_PERMISSION_DENIED',
  /** The call failed otherwise (unreachable, timeout, internal error). */
  Rpc: 'ERR_AGENT_CLIENT_RPC',
  /** The server's TLS certificate is not the server SVID of our trust domain. */
  UntrustedServer: 'ERR_AGENT_CLIENT_UNTRUSTED_SERVER',
} as const;

/** One of the stable agent client error codes. */
export type AgentClientErrorCode = (typeof AgentClientErrorCode)[keyof typeof AgentClientErrorCode];

/** Why the server refused the agent, as `spire.api.types.PermissionDeniedDetails` names it. */
export type DeniedReason =
  | 'UNKNOWN'
  | 'AGENT_EXPIRED'
  | 'AGENT_NOT_ATTESTED'
  | 'AGENT_NOT_ACTIVE'
  | 'AGENT_BANNED'
  | 'AGENT_MUST_REATTEST';

/** A failed call to the server, with an `ERR_AGENT_CLIENT_*` code. */
export class AgentClientError extends SpiffeError {
  declare readonly code: AgentClientErrorCode;
  /** For `ERR_AGENT_CLIENT_PERMISSION_DENIED`: the reason the server gave. */
  readonly reason?: DeniedReason;
  /** The gRPC status code, when the server answered with one. */
  readonly grpcCode?: Code;

  constructor(
    code: AgentClientErrorCode,
    message: string,
    options?: { cause?: unknown; reason?: DeniedReason; grpcCode?: Code },
  ) {
    super(code, message, options);
    if (options?.reason) this.reason = options.reason;
    if (options?.grpcCode !== undefined) this.grpcCode = options.grpcCode;
  }
}

const REASONS: Record<Reason, DeniedReason> = {
  [Reason.UNKNOWN]: 'UNKNOWN',
  [Reason.AGENT_EXPIRED]: 'AGENT_EXPIRED',
  [Reason.AGENT_NOT_ATTESTED]: 'AGENT_NOT_ATTESTED',
  [Reason.AGENT_NOT_ACTIVE]: 'AGENT_NOT_ACTIVE',
  [Reason.AGENT_BANNED]: 'AGENT_BANNED',
  [Reason.AGENT_MUST_REATTEST]: 'AGENT_MUST_REATTEST',
};

/**
 * Wraps a failed call as an {@link AgentClientError}. A PermissionDenied status carries the
 * server's `PermissionDeniedDetails` reason (reference §3.8), which decides between attesting
 * again and shutting down.
 */
export function clientError(what: string, err: unknown): AgentClientError {
  if (err instanceof AgentClientError) return err;
  const connect = ConnectError.from(err);
  if (connect.code === Code.PermissionDenied) {
    const reason = deniedReason(connect);
    return new AgentClientError(
      AgentClientErrorCode.PermissionDenied,
      `failed to ${what}: permission denied (${reason}): ${connect.rawMessage}`,
      { cause: err, reason, grpcCode: connect.code },
    );
  }
  return new AgentClientError(
    AgentClientErrorCode.Rpc,
    `failed to ${what}: ${Code[connect.code] ?? connect.code}: ${connect.rawMessage}`,
    { cause: err, grpcCode: connect.code },
  );
}

function deniedReason(err: ConnectError): DeniedReason {
  const details: PermissionDeniedDetails[] = err.findDetails(PermissionDeniedDetailsSchema);
  const first = details[0];
  return first ? (REASONS[first.reason] ?? 'UNKNOWN') : 'UNKNOWN';
}

/** Reasons after which SPIRE's agent attests again (reference §4.4). */
export const REATTEST_REASONS: ReadonlySet<DeniedReason> = new Set([
  'AGENT_EXPIRED',
  'AGENT_NOT_ATTESTED',
  'AGENT_NOT_ACTIVE',
  'AGENT_MUST_REATTEST',
]);

/** True when `err` is a refusal that SPIRE answers by attesting again. */
export function mustReattest(err: unknown): boolean {
  return (
    err instanceof AgentClientError &&
    err.code === AgentClientErrorCode.PermissionDenied &&
    err.reason !== undefined &&
    REATTEST_REASONS.has(err.reason)
  );
}

/** True when `err` says the agent is banned: it must shut down (bug-cases-2 D12). */
export function isBanned(err: unknown): boolean {
  return err instanceof AgentClientError && err.reason === 'AGENT_BANNED';
}
