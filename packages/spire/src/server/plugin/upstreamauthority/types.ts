import { SpiffeError } from '@spire-ts/spiffe';

/** What an UpstreamAuthority returns for our CA's CSR. */
export interface MintedUpstreamCa {
  /** Our CA certificate first, then any upstream intermediates (DER), leaf-to-root order. */
  readonly x509CaChain: Buffer[];
  /** The upstream roots; they, not our CA, go into the trust bundle. */
  readonly upstreamX509Roots: Buffer[];
}

/**
 * The UpstreamAuthority plugin type (`spire.plugin.server.upstreamauthority.v1`): an external
 * PKI signs the server's intermediate CA.
 */
export interface UpstreamAuthority {
  readonly name: string;
  /** Signs the DER PKCS#10 `csr` as a CA certificate living at most `preferredTtlMs`. */
  mintX509Ca(csr: Uint8Array, preferredTtlMs: number): Promise<MintedUpstreamCa>;
}

/** Errors of the upstream authorities; codes `ERR_UPSTREAMAUTHORITY_*`. */
export class UpstreamAuthorityError extends SpiffeError {}
