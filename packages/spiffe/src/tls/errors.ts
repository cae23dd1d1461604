import { SpiffeError } from '../errors.js';

/** Stable codes of {@link TlsAuthError}. */
export const TlsAuthErrorCode = {
  /** The peer sent no certificate. */
  NoPeerCertificate: 'ERR_TLS_NO_PEER_CERTIFICATE',
  /** The peer's chain is not a valid X509-SVID of a trusted trust domain (X509-SVID §5). */
  PeerUnverified: 'ERR_TLS_PEER_UNVERIFIED',
  /** The peer's SVID is valid but its SPIFFE ID is not authorized. */
  PeerUnauthorized: 'ERR_TLS_PEER_UNAUTHORIZED',
  /** `peerSpiffeId` was asked about a socket whose peer this library did not authenticate. */
  PeerNotAuthenticated: 'ERR_TLS_PEER_NOT_AUTHENTICATED',
} as const;

/** One of the {@link TlsAuthErrorCode} values. */
export type TlsAuthErrorCode = (typeof TlsAuthErrorCode)[keyof typeof TlsAuthErrorCode];

/** A TLS peer failed SPIFFE authentication or authorization; the message names the peer and rule. */
export class TlsAuthError extends SpiffeError {
  declare readonly code: TlsAuthErrorCode;

  constructor(code: TlsAuthErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
