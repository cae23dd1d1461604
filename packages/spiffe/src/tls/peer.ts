import type { TLSSocket } from 'node:tls';
import type { SpiffeId } from '../spiffeid/index.js';
import { TlsAuthError, TlsAuthErrorCode } from './errors.js';

const bySocket = new WeakMap<TLSSocket, SpiffeId>();
/** Leaf fingerprints verified on the client side (where Node gives no socket), bounded. */
const byLeaf = new Map<string, SpiffeId>();
const MAX_LEAVES = 4_096;

/** Records the authenticated ID of a server-side socket. */
export function rememberSocketPeer(socket: TLSSocket, id: SpiffeId): void {
  bySocket.set(socket, id);
}

/** True when this library authenticated the peer of this server-side socket. */
export function isAuthenticatedSocket(socket: TLSSocket): boolean {
  return bySocket.has(socket);
}

/** Records the ID of a leaf verified in `checkServerIdentity`, by its SHA-256 fingerprint. */
export function rememberLeafPeer(fingerprint256: string, id: SpiffeId): void {
  byLeaf.delete(fingerprint256);
  byLeaf.set(fingerprint256, id);
  if (byLeaf.size > MAX_LEAVES) byLeaf.delete(byLeaf.keys().next().value as string);
}

/**
 * The SPIFFE ID of the peer of `socket`, as authenticated by this library's TLS options
 * (either side). Throws `ERR_TLS_PEER_NOT_AUTHENTICATED` for any other socket.
 *
 * On Node 20 a client socket's `getPeerX509Certificate()` consumes the peer certificate (later
 * calls, and `getPeerCertificate()`, return nothing), so this reads `getPeerCertificate()` and
 * remembers the answer per socket: call it before any `getPeerX509Certificate()` of your own.
 *
 * @example
 * server.on('request', (req, res) => res.end(peerSpiffeId(req.socket as TLSSocket).toString()));
 */
export function peerSpiffeId(socket: TLSSocket): SpiffeId {
  const known = bySocket.get(socket);
  if (known) return known;
  if (socket.authorized) {
    const fingerprint = socket.getPeerCertificate()?.fingerprint256;
    const id = fingerprint ? byLeaf.get(fingerprint) : undefined;
    if (id) {
      bySocket.set(socket, id);
      return id;
    }
  }
  throw new TlsAuthError(
    TlsAuthErrorCode.PeerNotAuthenticated,
    'socket peer was not authenticated by spiffe tls options',
  );
}
