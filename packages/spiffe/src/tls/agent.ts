import https from 'node:https';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import type { Authorizer } from './authorizer.js';
import { mtlsClientOptions } from './client.js';
import type { X509TlsSource } from './source.js';

/**
 * An `https.Agent` doing SPIFFE mTLS: every new connection presents the current SVID and
 * authenticates the server by SPIFFE rules; pooled connections keep the identity they opened
 * with. Sessions are never resumed (resumption would skip the server check).
 *
 * @example
 * https.get({ host: '127.0.0.1', port, agent: createMtlsAgent(source, matchId(serverId)) });
 */
export function createMtlsAgent(
  source: X509TlsSource,
  authorize: Authorizer,
  options: https.AgentOptions = {},
): https.Agent {
  const spiffe = mtlsClientOptions(source, authorize);
  const agent = new https.Agent({ ...options, maxCachedSessions: 0 });
  (agent as unknown as { createConnection: typeof createConnection }).createConnection =
    createConnection;
  function createConnection(opts: tls.ConnectionOptions, callback?: () => void): Duplex {
    return tls.connect(
      {
        ...opts,
        secureContext: spiffe.secureContext,
        rejectUnauthorized: true,
        checkServerIdentity: spiffe.checkServerIdentity,
      },
      callback,
    );
  }
  return agent;
}
