import type { KeyObject, X509Certificate } from 'node:crypto';
import { X509Certificate as NodeX509 } from 'node:crypto';
import type { SecureClientSessionOptions } from 'node:http2';
import type { DetailedPeerCertificate } from 'node:tls';
import { SpiffeId, type TrustDomain, verifyX509Svid, X509Bundle } from '@spire-ts/spiffe';

/** The agent's own SVID, presented to the server as the TLS client certificate. */
export interface AgentTlsIdentity {
  /** Leaf first. */
  readonly certificates: readonly X509Certificate[];
  readonly privateKey: KeyObject;
}

/** What {@link serverTlsOptions} needs. */
export interface ServerTlsOptions {
  readonly trustDomain: TrustDomain;
  /**
   * The X.509 authorities the server's certificate must chain to; undefined only for
   * `insecure_bootstrap`, where the first attestation trusts whatever answers.
   */
  readonly authorities: readonly X509Certificate[] | undefined;
  /** The client certificate, once the agent has an SVID. */
  readonly identity?: AgentTlsIdentity;
}

/** `spiffe://<td>/spire/server`, the only identity the agent accepts from its server (§3.8). */
export function serverIdOf(td: TrustDomain): SpiffeId {
  return SpiffeId.fromPath(td, '/spire/server');
}

/**
 * Node TLS options for dialing the server: the server must present an X509-SVID for
 * `spiffe://<td>/spire/server` that chains to the bootstrap or current bundle. OpenSSL builds and
 * checks the path against `ca`; `checkServerIdentity` then verifies the SVID rules and the ID
 * instead of a host name (C13). No session is offered for resumption, so every connection runs
 * the full check (SPIRE 1.14.3 advisory).
 */
export function serverTlsOptions(o: ServerTlsOptions): SecureClientSessionOptions {
  const client = o.identity
    ? {
        cert: o.identity.certificates.map((c) => c.toString()).join(''),
        key: o.identity.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
      }
    : {};
  if (!o.authorities) return { ...client, rejectUnauthorized: false };
  const bundle = new X509Bundle(o.trustDomain, o.authorities);
  const expected = serverIdOf(o.trustDomain);
  return {
    ...client,
    ca: o.authorities.map((c) => c.toString()),
    rejectUnauthorized: true,
    checkServerIdentity: (_host, cert) =>
      checkServer(cert as DetailedPeerCertificate, bundle, expected),
  };
}

/** Verifies the presented chain as an X509-SVID of `expected`; returns the failure, if any. */
export function checkServer(
  cert: DetailedPeerCertificate,
  bundle: X509Bundle,
  expected: SpiffeId,
): Error | undefined {
  try {
    const { id } = verifyX509Svid(presentedChain(cert), bundle);
    if (!id.equals(expected)) {
      return new Error(`server presented spiffe id "${id}", expected "${expected}"`);
    }
    return undefined;
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}

/** The peer's chain as node links it, leaf first, without a self-issued last link. */
function presentedChain(leaf: DetailedPeerCertificate): X509Certificate[] {
  const chain: X509Certificate[] = [];
  const seen = new Set<string>();
  for (let c: DetailedPeerCertificate | undefined = leaf; c?.raw; c = c.issuerCertificate) {
    if (seen.has(c.fingerprint256)) break;
    seen.add(c.fingerprint256);
    chain.push(new NodeX509(c.raw));
  }
  if (chain.length > 1 && chain.at(-1)?.checkIssued(chain.at(-1) as X509Certificate)) chain.pop();
  return chain;
}
