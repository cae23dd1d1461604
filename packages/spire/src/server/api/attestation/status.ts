/**
 * The PermissionDenied answers that agents act upon: SPIRE puts a `PermissionDeniedDetails`
 * reason in the status details, and a real agent decides from it whether to re-attest or to shut
 * down (reference §4.4, bug-cases-2 D12).
 */
import { Code, ConnectError } from '@connectrpc/connect';
import type { SpireLogger } from '../../../common/log/index.js';
import {
  type PermissionDeniedDetails_Reason,
  PermissionDeniedDetailsSchema,
} from '../../../gen/spire/api/types/status_pb.js';

/** A PermissionDenied carrying `reason`, logged once as a security event. */
export function permissionDenied(
  log: SpireLogger,
  reason: PermissionDeniedDetails_Reason,
  message: string,
): ConnectError {
  log.warn(message.charAt(0).toUpperCase() + message.slice(1));
  const details = [{ desc: PermissionDeniedDetailsSchema, value: { reason } }];
  return new ConnectError(message, Code.PermissionDenied, undefined, details);
}
