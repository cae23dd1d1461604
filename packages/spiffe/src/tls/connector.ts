import tls from 'node:tls';
import type { Authorizer } from './authorizer.js';
import { mtlsClientOptions } from './client.js';
import type { X509TlsSource } from './source.js';

/** What a connector is asked for (undici's `connect` function options fit). */
export interface ConnectorOptions {
  hostname: string;
  port: string | number;
  servername?: string | null;
}

/** A connect function in undici's shape: `callback(null, socket)` once the peer is checked. */
export type MtlsConnector = (
  options: ConnectorOptions,
  callback: (...result: [null, tls.TLSSocket] | [Error, null]) => void,
) => void;

/**
 * A connect function for undici (`new Agent({ connect: mtlsConnector(source, authorize) })`) doing
 * SPIFFE mTLS: each new connection presents the source's current SVID and authenticates the
 * server by SPIFFE rules before undici sees the socket. A refused server fails the request with
 * the `ERR_TLS_PEER_*` error.
 *
 * @example
 * const dispatcher = new Agent({ connect: mtlsConnector(source, matchId(serverId)) });
 * await request(`https://127.0.0.1:${port}/`, { dispatcher });
 */
export function mtlsConnector(source: X509TlsSource, authorize: Authorizer): MtlsConnector {
  const spiffe = mtlsClientOptions(source, authorize);
  return (options, callback) => {
    // Spreading reads the secureContext getter now: each connection gets the current SVID.
    const socket = tls.connect({
      ...spiffe,
      host: options.hostname,
      port: Number(options.port),
      ALPNProtocols: ['http/1.1'],
    });
    const onError = (err: Error) => {
      socket.off('secureConnect', onSecure);
      callback(err, null);
    };
    const onSecure = () => {
      socket.off('error', onError);
      callback(null, socket);
    };
    socket.once('error', onError);
    socket.once('secureConnect', onSecure);
  };
}
