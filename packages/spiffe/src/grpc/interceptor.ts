import type { DetailedPeerCertificate } from 'node:tls';
import { TLSSocket } from 'node:tls';
import {
  ServerInterceptingCall,
  type ServerInterceptingCallInterface,
  type ServerInterceptor,
  ServerListenerBuilder,
  status,
} from '@grpc/grpc-js';
import type { BundleSet } from '../bundle/index.js';
import type { SpiffeId } from '../spiffeid/index.js';
import type { Authorizer } from '../tls/authorizer.js';
import { TlsAuthError, TlsAuthErrorCode } from '../tls/errors.js';
import type { X509TlsSource } from '../tls/source.js';
import { type AuthenticatedPeer, authenticatePeer, peerChain } from '../tls/verify.js';

/** A connection's verified peer, valid while the bundles are the same object and the chain lives. */
interface Verified {
  bundles: BundleSet;
  peer: AuthenticatedPeer;
  validUntilMs: number;
}

const bySocket = new WeakMap<TLSSocket, Verified>();

/**
 * The per-call client check of {@link spiffeServerCredentials}: before the handler sees a call,
 * authenticates the caller's chain by SPIFFE rules (X509-SVID §5, against the bundle of its own
 * trust domain) and authorizes its ID; otherwise answers `UNAUTHENTICATED` (not an SVID of a
 * trusted trust domain) or `PERMISSION_DENIED` (not authorized), naming the ID and the rule.
 *
 * The chain is read from the call's TLS socket with its intermediates. grpc-js 1.14 exposes only
 * the leaf publicly (`getAuthContext()`), so the socket is found through the call's internal
 * fields; if a later grpc-js hides them, only the leaf is checked and a chain with intermediates
 * is refused (never accepted unchecked). The outcome is kept per connection until the bundles
 * change or a certificate of the chain expires; `authorize` runs on every call.
 */
export function spiffeServerInterceptor(
  source: Pick<X509TlsSource, 'getX509BundleSet'>,
  authorize: Authorizer,
): ServerInterceptor {
  return (_method, call) => {
    const listener = new ServerListenerBuilder()
      .withOnReceiveMetadata((metadata, next) => {
        try {
          const peer = authenticateCall(call, source.getX509BundleSet());
          authorizeCaller(peer, authorize);
          next(metadata);
        } catch (err) {
          call.sendStatus(statusOf(err));
        }
      })
      .build();
    return new ServerInterceptingCall(call, { start: (next) => next(listener) });
  };
}

/**
 * The SPIFFE ID of the client of a call that {@link spiffeServerInterceptor} let through.
 * Throws `ERR_TLS_PEER_NOT_AUTHENTICATED` for any other call.
 *
 * @example
 * server.addService(svc, { hello: (call, cb) => cb(null, greet(callerSpiffeId(call))) });
 */
export function callerSpiffeId(call: {
  getAuthContext(): { sslPeerCertificate?: { fingerprint256?: string } } | null;
}): SpiffeId {
  const fingerprint = call.getAuthContext()?.sslPeerCertificate?.fingerprint256;
  const id = fingerprint === undefined ? undefined : verifiedLeaves.get(fingerprint);
  if (id === undefined) {
    throw new TlsAuthError(
      TlsAuthErrorCode.PeerNotAuthenticated,
      'call peer was not authenticated by the spiffe server interceptor',
    );
  }
  return id;
}

/** Leaves the interceptor verified, by SHA-256 fingerprint, bounded. */
const verifiedLeaves = new Map<string, SpiffeId>();
const MAX_LEAVES = 4_096;

function remember(fingerprint: string, id: SpiffeId): void {
  verifiedLeaves.delete(fingerprint);
  verifiedLeaves.set(fingerprint, id);
  if (verifiedLeaves.size > MAX_LEAVES) {
    verifiedLeaves.delete(verifiedLeaves.keys().next().value as string);
  }
}

function authenticateCall(call: ServerInterceptingCallInterface, bundles: BundleSet) {
  const socket = tlsSocketOf(call);
  if (socket === undefined) return authenticateLeafOnly(call, bundles);

  const known = bySocket.get(socket);
  if (known && known.bundles === bundles && Date.now() < known.validUntilMs) return known.peer;

  const detailed = socket.getPeerCertificate(true) as DetailedPeerCertificate;
  const peer = authenticatePeer(peerChain(detailed), bundles, () => {}, 'client');
  const validUntilMs = Math.min(...peer.verifiedChain.map((c) => Date.parse(c.validTo)));
  bySocket.set(socket, { bundles, peer, validUntilMs });
  if (detailed.fingerprint256) remember(detailed.fingerprint256, peer.id);
  return peer;
}

function authenticateLeafOnly(call: ServerInterceptingCallInterface, bundles: BundleSet) {
  const leaf = call.getAuthContext()?.sslPeerCertificate;
  const peer = authenticatePeer(leaf?.raw ? [leaf.raw] : [], bundles, () => {}, 'client');
  if (leaf?.fingerprint256) remember(leaf.fingerprint256, peer.id);
  return peer;
}

function authorizeCaller(peer: AuthenticatedPeer, authorize: Authorizer): void {
  try {
    authorize(peer.id, peer.verifiedChain);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new TlsAuthError(
      TlsAuthErrorCode.PeerUnauthorized,
      `client ${peer.id} is not authorized: ${reason}`,
      { cause: err },
    );
  }
}

/**
 * The TLS socket under a grpc-js server call: the innermost call object holds the http2 stream
 * (`stream.session.socket`), outer interceptors hold the next call as `nextCall`.
 */
function tlsSocketOf(call: ServerInterceptingCallInterface): TLSSocket | undefined {
  let at = call as unknown as Internals | undefined;
  for (let depth = 0; at !== undefined && depth < 64; depth += 1) {
    const socket = at.stream?.session?.socket;
    if (socket instanceof TLSSocket) return socket;
    at = at.nextCall;
  }
  return undefined;
}

interface Internals {
  stream?: { session?: { socket?: unknown } };
  nextCall?: Internals;
}

function statusOf(err: unknown): { code: status; details: string } {
  const code = err instanceof TlsAuthError ? err.code : undefined;
  return {
    code:
      code === TlsAuthErrorCode.PeerUnauthorized
        ? status.PERMISSION_DENIED
        : status.UNAUTHENTICATED,
    details: err instanceof Error ? err.message : 'client authentication failed',
  };
}
