/** TLS test helpers: mutable sources, endpoints on loopback, promise wrappers. */
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { BundleSet, TrustDomain, X509Bundle, X509Svid, type X509TlsSource } from '@spire-ts/spiffe';
import type { TestTrustDomain } from '../workloadapi/support.js';
import { leaf } from '../workloadapi/support.js';

/** A source whose SVID and bundles a test can swap, as a rotation would. */
export class MutableSource implements X509TlsSource {
  svid: X509Svid;
  bundles: BundleSet;

  constructor(svid: X509Svid, bundles: BundleSet) {
    this.svid = svid;
    this.bundles = bundles;
  }

  getX509Svid(): X509Svid {
    return this.svid;
  }

  getX509BundleSet(): BundleSet {
    return this.bundles;
  }
}

/** A fresh SVID `spiffe://<td><path>` issued by `issuer` (default: td's own CA). */
export function svidFor(td: TestTrustDomain, path: string): X509Svid {
  const cert = leaf(td, path);
  return X509Svid.parse(cert.der, cert.privateKey);
}

/** Bundles of the given trust domains. */
export function bundlesOf(...tds: TestTrustDomain[]): BundleSet {
  return new BundleSet(
    tds.map((td) => X509Bundle.fromDer(TrustDomain.fromString(td.name), td.ca.der)),
  );
}

/** Starts `server` on 127.0.0.1 and returns its port. */
export async function listen(server: tls.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** Connects and resolves once the handshake (and our check) passed. */
export function connect(port: number, options: tls.ConnectionOptions): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ...options }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Writes `text` and resolves with the echo, or rejects when the socket closes first. */
export function echo(socket: tls.TLSSocket, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const onClose = () => reject(new Error('socket closed before the echo'));
    socket.once('data', (d: Buffer) => {
      socket.off('close', onClose);
      resolve(d.toString());
    });
    socket.once('close', onClose);
    socket.once('error', () => {});
    socket.write(text);
  });
}
