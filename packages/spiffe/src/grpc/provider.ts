import type { EventEmitter } from 'node:events';
import type { experimental } from '@grpc/grpc-js';
import type { X509TlsSource } from '../tls/source.js';

type Listener<U> = (update: U | null) => void;

/**
 * A grpc-js certificate provider fed by a source: identity = the current SVID (PEM chain and
 * PKCS#8 key), CA = every bundle authority. grpc-js hands the CA to OpenSSL only as a pre-check;
 * the SPIFFE check (bundle of the peer's own trust domain) runs in `checkServerIdentity` on the
 * client and in the server interceptor. When the source emits `updated` (`X509Source` does), each
 * update pushes the new material, so new connections use it; otherwise call {@link refresh}.
 *
 * A new listener gets the current material on the next microtask, never synchronously: grpc-js
 * servers register their watcher only after adding the provider's listeners, and material handed
 * over synchronously would be lost, leaving the server dropping every connection.
 */
export class SourceCertificateProvider implements experimental.CertificateProvider {
  readonly #source: X509TlsSource;
  readonly #ca = new Set<Listener<experimental.CaCertificateUpdate>>();
  readonly #identity = new Set<Listener<experimental.IdentityCertificateUpdate>>();
  readonly #onUpdated = () => this.refresh();
  #subscribed = false;

  constructor(source: X509TlsSource) {
    this.#source = source;
  }

  /** Registers a CA listener (grpc-js calls this). */
  addCaCertificateListener(listener: Listener<experimental.CaCertificateUpdate>): void {
    this.#ca.add(listener);
    this.#follow();
    queueMicrotask(() => {
      if (this.#ca.has(listener)) listener(this.#caUpdate());
    });
  }

  /** Removes a CA listener (grpc-js calls this). */
  removeCaCertificateListener(listener: Listener<experimental.CaCertificateUpdate>): void {
    this.#ca.delete(listener);
    this.#follow();
  }

  /** Registers an identity listener (grpc-js calls this). */
  addIdentityCertificateListener(listener: Listener<experimental.IdentityCertificateUpdate>): void {
    this.#identity.add(listener);
    this.#follow();
    queueMicrotask(() => {
      if (this.#identity.has(listener)) listener(this.#identityUpdate());
    });
  }

  /** Removes an identity listener (grpc-js calls this). */
  removeIdentityCertificateListener(
    listener: Listener<experimental.IdentityCertificateUpdate>,
  ): void {
    this.#identity.delete(listener);
    this.#follow();
  }

  /** Re-reads the source and tells grpc-js (call after a rotation if the source emits no events). */
  refresh(): void {
    const ca = this.#caUpdate();
    const identity = this.#identityUpdate();
    for (const l of this.#ca) l(ca);
    for (const l of this.#identity) l(identity);
  }

  /** Listens to the source's `updated` events only while grpc-js listens to us. */
  #follow(): void {
    const emitter = this.#source as Partial<EventEmitter>;
    if (typeof emitter.on !== 'function' || typeof emitter.off !== 'function') return;
    const wanted = this.#ca.size + this.#identity.size > 0;
    if (wanted && !this.#subscribed) emitter.on('updated', this.#onUpdated);
    if (!wanted && this.#subscribed) emitter.off('updated', this.#onUpdated);
    this.#subscribed = wanted;
  }

  /** `null` (grpc-js: no usable material) when the source cannot answer, e.g. closed. */
  #caUpdate(): experimental.CaCertificateUpdate | null {
    try {
      const pems = this.#source
        .getX509BundleSet()
        .bundles()
        .map((b) => b.x509Bundle().toPem());
      return { caCertificate: Buffer.from(pems.join('')) };
    } catch {
      return null;
    }
  }

  #identityUpdate(): experimental.IdentityCertificateUpdate | null {
    try {
      const pem = this.#source.getX509Svid().marshal();
      return {
        certificate: Buffer.from(pem.certificates),
        privateKey: Buffer.from(pem.privateKey),
      };
    } catch {
      return null;
    }
  }
}
