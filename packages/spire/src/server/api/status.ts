/**
 * The one place domain errors become gRPC statuses (STYLE "Errors", SPIRE's `api.MakeErr`): the
 * status message is `<what failed>: <why>`, NotFound answers hide the inner details, and the
 * failure is logged exactly once, here, with the full error.
 */

import { Code, ConnectError } from '@connectrpc/connect';
import { isSpiffeError } from '@spire-ts/spiffe';
import { LogField, type SpireLogger } from '../../common/log/index.js';
import { DataStoreError, DataStoreErrorCode } from '../datastore/index.js';
import { NodeAttestationError } from '../plugin/nodeattestor/node-attestor.js';

const DATASTORE_CODES: Record<string, Code> = {
  [DataStoreErrorCode.NotFound]: Code.NotFound,
  [DataStoreErrorCode.AlreadyExists]: Code.AlreadyExists,
  [DataStoreErrorCode.InvalidArgument]: Code.InvalidArgument,
  [DataStoreErrorCode.BundleInUse]: Code.FailedPrecondition,
  // SPIRE answers Internal when an entry names a trust domain without a bundle (D05).
  [DataStoreErrorCode.FederatedBundleNotFound]: Code.Internal,
};

const ATTESTATION_CODES: Record<NodeAttestationError['kind'], Code> = {
  invalid_argument: Code.InvalidArgument,
  permission_denied: Code.PermissionDenied,
  internal: Code.Internal,
};

/**
 * The gRPC code a domain error stands for: datastore codes by meaning, attestation refusals by
 * kind, other SPIFFE errors (malformed IDs, bundles, SVIDs) are the caller's input, anything else
 * is Internal.
 */
export function codeOf(err: unknown): Code {
  if (err instanceof ConnectError) return err.code;
  if (err instanceof DataStoreError) return DATASTORE_CODES[err.code] ?? Code.Internal;
  if (err instanceof NodeAttestationError) return ATTESTATION_CODES[err.kind];
  if (
    isSpiffeError(err) &&
    /^ERR_(SPIFFEID|BUNDLE|X509SVID|JWTSVID|SELECTOR)_|^ERR_API_INVALID_ARGUMENT$/.test(err.code)
  ) {
    return Code.InvalidArgument;
  }
  return Code.Internal;
}

/** Message of an error without Connect's `[code]` prefix. */
export function rawMessage(err: unknown): string {
  if (err instanceof ConnectError) return err.rawMessage;
  return err instanceof Error ? err.message : String(err);
}

/**
 * Turns a failure into the ConnectError to send, logging it once at error level.
 * @param log the request's logger
 * @param what what failed, lower case (`failed to fetch entry`)
 * @param err the cause; its message is appended except for NotFound (details stay in the log)
 * @param code overrides the code {@link codeOf} would pick
 */
export function toStatus(log: SpireLogger, what: string, err?: unknown, code?: Code): ConnectError {
  const c = code ?? (err === undefined ? Code.Internal : codeOf(err));
  const message = err === undefined || c === Code.NotFound ? what : `${what}: ${rawMessage(err)}`;
  if (err === undefined) log.error(capitalize(what));
  else log.error({ [LogField.Error]: err }, capitalize(what));
  return new ConnectError(message, c, undefined, undefined, err);
}

/** A status with an exact code and message, logged once (for checks made by the API itself). */
export function statusError(log: SpireLogger, code: Code, message: string): ConnectError {
  log.error(capitalize(message));
  return new ConnectError(message, code);
}

/** The per-item `types.Status` of batch responses: `{ code: 0 }` on success. */
export interface ItemStatus {
  readonly code: number;
  readonly message: string;
}

/** OK item status. */
export const OK_STATUS: ItemStatus = { code: 0, message: 'OK' };

/** The per-item status for a failure (logged once, like {@link toStatus}). */
export function itemStatus(log: SpireLogger, what: string, err?: unknown, code?: Code): ItemStatus {
  const e = toStatus(log, what, err, code);
  return { code: e.code, message: e.rawMessage };
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
