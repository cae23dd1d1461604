import type { X509Certificate } from 'node:crypto';
import type { DetailedPeerCertificate, PeerCertificate } from 'node:tls';
import type { X509BundleSource } from '../bundle/index.js';
import type { SpiffeId } from '../spiffeid/index.js';
import { verifyX509Svid } from '../svid/x509/index.js';
import type { Authorizer } from './authorizer.js';
import { peerCertificates } from './cert-cache.js';
import { TlsAuthError, TlsAuthErrorCode } from './errors.js';

/** A verified and authorized peer. */
export interface AuthenticatedPeer {
  id: SpiffeId;
  verifiedChain: X509Certificate[];
}

/**
 * The DER chain a peer presented, leaf first, from Node's detailed peer certificate (the
 * `issuerCertificate` links, which end at a self-issued certificate pointing at itself).
 */
export function peerChain(cert: PeerCertificate | DetailedPeerCertificate | undefined): Buffer[] {
  const out: Buffer[] = [];
  let at = cert as DetailedPeerCertificate | undefined;
  const seen = new Set<DetailedPeerCertificate>();
  while (at?.raw && !seen.has(at)) {
    seen.add(at);
    out.push(at.raw);
    at = at.issuerCertificate;
  }
  return out;
}

/**
 * Authenticates a peer by SPIFFE rules, then authorizes it: X509-SVID §5 verification against the
 * bundle of the leaf's own trust domain (Workload API §4.6), no host name check, then `authorize`.
 * Throws {@link TlsAuthError} naming the peer's ID (when known) and the rule broken.
 */
export function authenticatePeer(
  chain: readonly Uint8Array[],
  bundles: X509BundleSource,
  authorize: Authorizer,
  role: 'client' | 'server',
): AuthenticatedPeer {
  if (chain.length === 0) {
    throw new TlsAuthError(TlsAuthErrorCode.NoPeerCertificate, `${role} presented no certificate`);
  }
  const certs = parseChain(chain, role);
  let verified: AuthenticatedPeer;
  try {
    verified = verifyX509Svid(certs, bundles);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new TlsAuthError(
      TlsAuthErrorCode.PeerUnverified,
      `${role} certificate is not a trusted x509-svid: ${reason}`,
      { cause: err },
    );
  }
  try {
    authorize(verified.id, verified.verifiedChain);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new TlsAuthError(
      TlsAuthErrorCode.PeerUnauthorized,
      `${role} ${verified.id} is not authorized: ${reason}`,
      { cause: err },
    );
  }
  return verified;
}

function parseChain(chain: readonly Uint8Array[], role: string): X509Certificate[] {
  return chain.map((der, i) => {
    try {
      return peerCertificates.parse(der);
    } catch (err) {
      const which = i === 0 ? 'leaf' : `certificate ${i + 1}`;
      throw new TlsAuthError(
        TlsAuthErrorCode.PeerUnverified,
        `${role} ${which} is not a valid der certificate`,
        { cause: err },
      );
    }
  });
}
