import { SpiffeError } from '@spire-ts/spiffe';

/** Stable codes of workload attestation failures at the agent's endpoints. */
export const CallerAttestationErrorCode = {
  /** The connection is not a Unix socket with kernel-verified peer credentials. */
  NoCredentials: 'ERR_WORKLOAD_ATTESTATION_NO_CREDENTIALS',
  /** The calling process exited, or its pid now names another process (PID reuse). */
  CallerChanged: 'ERR_WORKLOAD_ATTESTATION_CALLER_CHANGED',
  /** A configured workload attestor failed. */
  AttestorFailed: 'ERR_WORKLOAD_ATTESTATION_ATTESTOR_FAILED',
} as const;

/** One of the stable caller attestation error codes. */
export type CallerAttestationErrorCode =
  (typeof CallerAttestationErrorCode)[keyof typeof CallerAttestationErrorCode];

/** Why the caller of a workload-facing endpoint could not be attested; nothing is issued. */
export class CallerAttestationError extends SpiffeError {
  declare readonly code: CallerAttestationErrorCode;

  constructor(code: CallerAttestationErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
