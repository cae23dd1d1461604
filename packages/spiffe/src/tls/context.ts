import tls from 'node:tls';
import type { BundleSet } from '../bundle/index.js';
import type { X509Svid } from '../svid/x509/index.js';
import type { X509TlsSource } from './source.js';

/** What a secure context is made of. */
export interface ContextParts {
  /** Present our SVID (false: only verify the peer). */
  presentSvid: boolean;
  /** Trust anchors handed to OpenSSL (false: Node's default Web PKI roots). */
  anchors: boolean;
}

/**
 * Secure-context options and contexts built from a source's current SVID and bundles, rebuilt
 * only when the source hands out a different SVID or bundle set (sources replace both objects on
 * every update, so identity comparison is enough).
 *
 * OpenSSL gets the union of all bundle authorities as `ca` only so that Node runs our
 * `checkServerIdentity` / accepts the client certificate at all; the binding check chooses the
 * bundle of the peer's own trust domain (Workload API §4.6) and runs after it.
 */
export class ContextCache {
  readonly #source: X509TlsSource;
  readonly #parts: ContextParts;
  #svid: X509Svid | undefined;
  #bundles: BundleSet | undefined;
  #options: tls.SecureContextOptions | undefined;
  #context: tls.SecureContext | undefined;

  constructor(source: X509TlsSource, parts: ContextParts) {
    this.#source = source;
    this.#parts = parts;
  }

  /** True when the source moved on since the last build. */
  stale(): boolean {
    return (
      (this.#parts.presentSvid && this.#source.getX509Svid() !== this.#svid) ||
      (this.#parts.anchors && this.#source.getX509BundleSet() !== this.#bundles)
    );
  }

  /** The current options (cert, key, ca). */
  options(): tls.SecureContextOptions {
    if (this.#options === undefined || this.stale()) this.#rebuild();
    return this.#options as tls.SecureContextOptions;
  }

  /** The current secure context. */
  context(): tls.SecureContext {
    if (this.#context === undefined || this.stale()) this.#rebuild();
    return this.#context as tls.SecureContext;
  }

  #rebuild(): void {
    const options: tls.SecureContextOptions = { minVersion: 'TLSv1.2' };
    if (this.#parts.presentSvid) {
      this.#svid = this.#source.getX509Svid();
      const pem = this.#svid.marshal();
      options.cert = pem.certificates;
      options.key = pem.privateKey;
    }
    if (this.#parts.anchors) {
      this.#bundles = this.#source.getX509BundleSet();
      options.ca = this.#bundles.bundles().flatMap((b) =>
        b
          .x509Bundle()
          .x509Authorities()
          .map((c) => c.toString()),
      );
    }
    this.#options = options;
    this.#context = tls.createSecureContext(options);
  }
}
