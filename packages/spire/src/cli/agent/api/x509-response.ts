import type { X509Certificate } from 'node:crypto';
import { SpiffeId, TrustDomain, verifyX509Svid, X509Bundle } from '@spire-ts/spiffe';
import type { X509SVIDResponse } from '@spire-ts/spiffe/workload-proto';
import type { PrintableSvid } from './format.js';

/** An SVID of a FetchX509SVID response with its key, parsed and checked. */
export interface ParsedSvid extends PrintableSvid {
  /** The private key as PKCS#8 DER, as the Workload API sent it. */
  readonly keyDer: Uint8Array;
}

/**
 * Parses a FetchX509SVID response as `spire-agent api fetch x509` does: at least one SVID, each
 * chain and bundle non-empty DER, every federated bundle non-empty, and each SVID verifying
 * against its own trust domain's bundle (X509-SVID §5). Throws an Error naming what is wrong.
 */
export function parseX509Response(resp: X509SVIDResponse): ParsedSvid[] {
  if (resp.svids.length === 0) throw new Error('workload response contains no svids');
  const federated = new Map<string, readonly X509Certificate[]>();
  for (const key of Object.keys(resp.federatedBundles).sort()) {
    const what = `bundle for federated domain "${key}"`;
    const certs = attempt(what, () =>
      X509Bundle.fromDer(TrustDomain.fromString(key), resp.federatedBundles[key] as Uint8Array),
    ).x509Authorities();
    if (certs.length === 0) throw new Error(`no certificates in ${what}`);
    federated.set(key, certs);
  }

  return resp.svids.map((svid, i) => {
    const where = `svid entry ${i} for spiffe id "${svid.spiffeId}"`;
    const td = attempt(where, () => SpiffeId.fromString(svid.spiffeId).trustDomain);
    const certificates = attempt(where, () =>
      X509Bundle.fromDer(td, svid.x509Svid),
    ).x509Authorities();
    const bundle = attempt(`trust bundle of ${where}`, () =>
      X509Bundle.fromDer(td, svid.bundle),
    ).x509Authorities();
    if (certificates.length === 0)
      throw new Error(`failed to parse ${where}: no certificates found`);
    if (bundle.length === 0) throw new Error(`no certificates in trust bundle of ${where}`);
    try {
      verifyX509Svid(svid.x509Svid, new X509Bundle(td, bundle));
    } catch (err) {
      throw new Error(
        `"${svid.spiffeId}" SVID failed verification against bundle: ${message(err)}`,
      );
    }
    return {
      spiffeId: svid.spiffeId,
      hint: svid.hint,
      certificates,
      bundle,
      federated,
      keyDer: svid.x509SvidKey,
    };
  });
}

function attempt<T>(what: string, read: () => T): T {
  try {
    return read();
  } catch (err) {
    throw new Error(`failed to parse ${what}: ${message(err)}`);
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
