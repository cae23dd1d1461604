import { X509Certificate } from 'node:crypto';

/** Default bound of {@link PeerCertificateCache}. */
export const DEFAULT_PEER_CERTIFICATE_CACHE_SIZE = 1_000;

/**
 * A bounded least-recently-used map from peer certificate DER bytes to the parsed certificate.
 * `new X509Certificate(der)` costs 140-400 µs on a small machine (OpenSSL decodes and hashes the
 * whole certificate), several times the signature checks themselves, and the same peers come back
 * on every handshake. Only parsing is cached: equal bytes are the same certificate, whatever the
 * bundles. Verification results are never cached here, so a bundle change is always seen.
 */
export class PeerCertificateCache {
  #max = 0;
  readonly #entries = new Map<string, X509Certificate>();

  constructor(maxEntries = DEFAULT_PEER_CERTIFICATE_CACHE_SIZE) {
    this.resize(maxEntries);
  }

  /** The bound in entries. */
  get maxEntries(): number {
    return this.#max;
  }

  /** Changes the bound (0 turns caching off), dropping the least recently used as needed. */
  resize(maxEntries: number): void {
    if (!Number.isInteger(maxEntries) || maxEntries < 0) {
      throw new RangeError(`maxEntries must be a non-negative integer, got ${maxEntries}`);
    }
    this.#max = maxEntries;
    while (this.#entries.size > this.#max) this.#evictOldest();
  }

  /** Number of certificates held. */
  get size(): number {
    return this.#entries.size;
  }

  /** The parsed certificate of `der`, from the cache when these exact bytes were seen. */
  parse(der: Uint8Array): X509Certificate {
    // latin1 maps each byte to one UTF-16 unit: an exact, cheap key for the bytes.
    const key = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('latin1');
    const hit = this.#entries.get(key);
    if (hit !== undefined) {
      this.#entries.delete(key);
      this.#entries.set(key, hit);
      return hit;
    }
    const cert = new X509Certificate(der);
    if (this.#max === 0) return cert;
    this.#entries.set(key, cert);
    if (this.#entries.size > this.#max) this.#evictOldest();
    return cert;
  }

  /** Forgets every certificate. */
  clear(): void {
    this.#entries.clear();
  }

  #evictOldest(): void {
    this.#entries.delete(this.#entries.keys().next().value as string);
  }
}

/**
 * The cache the TLS and gRPC helpers share (1,000 entries); `peerCertificates.resize(0)` turns it
 * off.
 */
export const peerCertificates = new PeerCertificateCache();
