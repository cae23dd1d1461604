import { Code, ConnectError } from '@connectrpc/connect';

/**
 * The statuses the Workload API answers with, worded as SPIRE words them (reference §2.1) so
 * clients and operators that match on them keep working. Every refusal goes through here.
 */
export const WorkloadStatus = {
  /** Workload Endpoint §3: the `workload.spiffe.io: true` metadata is missing or wrong. */
  securityHeaderMissing: () =>
    new ConnectError('security header missing from request', Code.InvalidArgument),
  /** Workload Endpoint §6: the caller could not be attested; retry with backoff. */
  attestationFailed: () => new ConnectError('workload attestation failed', Code.Unavailable),
  /** Workload Endpoint §6: the agent has not attested or synced yet; retry with backoff. */
  notReady: () => new ConnectError('agent is not ready to serve workloads yet', Code.Unavailable),
  /** Workload API §5.2.1, §6.2.1: nothing is registered for this caller (or this ID). */
  noIdentity: () => new ConnectError('no identity issued', Code.PermissionDenied),
  /** Workload API §4.5: a mandatory request field is at its default value. */
  missing: (field: string) => new ConnectError(`${field} must be specified`, Code.InvalidArgument),
  /**
   * JWT-SVID §3: an `aud` value must name an audience. Refused before the server is asked (it
   * refuses it too), so a bad request costs no server call and says what to fix.
   */
  emptyAudience: () =>
    new ConnectError('audience must not contain an empty string', Code.InvalidArgument),
  /** FetchJWTSVID `spiffe_id` that is not a SPIFFE ID. */
  badRequestedId: (reason: string) =>
    new ConnectError(`invalid requested SPIFFE ID: ${reason}`, Code.InvalidArgument),
  /** ValidateJWTSVID: the token failed validation; the reason is the validator's. */
  invalidToken: (reason: string) => new ConnectError(reason, Code.InvalidArgument),
  /** FetchJWTSVID: the agent could not mint the token (server unreachable, ...). */
  jwtUnavailable: (spiffeId: string, reason: string) =>
    new ConnectError(`could not fetch "${spiffeId}" JWT-SVID: ${reason}`, Code.Unavailable),
  /** Workload API §1.1: the WIT-SVID profile is not supported by this agent. */
  witUnsupported: () =>
    new ConnectError('the WIT-SVID profile is not supported by this agent', Code.Unimplemented),
} as const;
