import { SpiffeError } from '@spire-ts/spiffe';

/** Stable codes of node attestation and trust bootstrap. */
export const AgentAttestorErrorCode = {
  /** The bootstrap bundle (trust_bundle_path / trust_bundle_url) is missing or malformed. */
  Bootstrap: 'ERR_AGENT_ATTESTOR_BOOTSTRAP',
  /** The server refused the attestation or the stream failed. */
  Attestation: 'ERR_AGENT_ATTESTOR_ATTESTATION',
  /** The server returned an SVID that is not a valid agent SVID for our key. */
  BadSvid: 'ERR_AGENT_ATTESTOR_BAD_SVID',
  /** The stored SVID cannot be used and the node cannot attest again (join token, memory keys). */
  CannotReattest: 'ERR_AGENT_ATTESTOR_CANNOT_REATTEST',
} as const;

/** One of the stable attestor error codes. */
export type AgentAttestorErrorCode =
  (typeof AgentAttestorErrorCode)[keyof typeof AgentAttestorErrorCode];

/** A failure to attest the node or to bootstrap trust, with an `ERR_AGENT_ATTESTOR_*` code. */
export class AgentAttestorError extends SpiffeError {
  declare readonly code: AgentAttestorErrorCode;

  constructor(code: AgentAttestorErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
