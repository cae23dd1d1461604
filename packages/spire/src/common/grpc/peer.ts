import type { IncomingMessage } from 'node:http';
import type { Http2ServerRequest, Http2Session, ServerHttp2Session } from 'node:http2';
import type { TLSSocket } from 'node:tls';

import {
  type ContextValues,
  createContextKey,
  createContextValues,
  type HandlerContext,
} from '@connectrpc/connect';

import {
  type PeerCredentials,
  peerCredentials,
  releasePeerCredentials,
} from '../peercred/index.js';

/** The caller on a Unix socket: kernel-verified credentials, or why they could not be read. */
export type UnixPeer =
  | { readonly transport: 'unix'; readonly credentials: PeerCredentials }
  | { readonly transport: 'unix'; readonly credentials: undefined; readonly error: unknown };

/** The caller on TCP: its address and, over TLS, the DER certificates it presented (leaf first). */
export interface TcpPeer {
  readonly transport: 'tcp';
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly certificates: readonly Uint8Array[];
}

/** Who is calling, read once per connection when the connection opens. */
export type PeerInfo = UnixPeer | TcpPeer;

/** Context key under which each handler finds the caller's {@link PeerInfo}. */
export const peerContextKey = createContextKey<PeerInfo | undefined>(undefined, {
  description: 'caller peer information',
});

/** Returns the caller of the current RPC, or undefined outside a server made by this module. */
export function callerPeer(context: HandlerContext): PeerInfo | undefined {
  return context.values.get(peerContextKey);
}

/** Reads the peer of a Unix-socket session; a failure is kept so handlers can refuse the call. */
export function unixPeer(session: ServerHttp2Session): UnixPeer {
  try {
    const credentials = peerCredentials(session.socket);
    // The pidfd kept for the PID-reuse check lives as long as the connection.
    session.once('close', () => releasePeerCredentials(credentials));
    return { transport: 'unix', credentials };
  } catch (error) {
    return { transport: 'unix', credentials: undefined, error };
  }
}

/** Reads the peer of a TCP (plain or TLS) session. */
export function tcpPeer(session: ServerHttp2Session, tls: boolean): TcpPeer {
  const socket = session.socket;
  return {
    transport: 'tcp',
    remoteAddress: socket.remoteAddress ?? '',
    remotePort: socket.remotePort ?? 0,
    certificates: tls ? presentedChain(socket as TLSSocket) : [],
  };
}

/** The DER chain the TLS peer sent, leaf first; empty when it sent no certificate. */
function presentedChain(socket: TLSSocket): Uint8Array[] {
  const chain: Uint8Array[] = [];
  let cert = socket.getPeerCertificate(true);
  while (cert?.raw && chain.length < MAX_CHAIN) {
    chain.push(new Uint8Array(cert.raw));
    const next = cert.issuerCertificate;
    // OpenSSL links a self-signed certificate to itself: stop there.
    if (!next || next === cert || next.raw?.equals(cert.raw)) break;
    cert = next;
  }
  return chain;
}

// Longer chains than this are not SPIFFE chains worth walking.
const MAX_CHAIN = 16;

/** Builds Connect's `contextValues` hook from a session-to-peer lookup. */
export function peerContextValues(
  lookup: (session: Http2Session) => PeerInfo | undefined,
): (req: IncomingMessage | Http2ServerRequest) => ContextValues {
  return (req) => {
    const values = createContextValues();
    const session = (req as Http2ServerRequest).stream?.session;
    values.set(peerContextKey, session ? lookup(session) : undefined);
    return values;
  };
}
