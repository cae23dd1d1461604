/**
 * The server API listeners (reference §3.1, §3.3): TLS on `bind_address:bind_port` presenting the
 * server SVID (TLS 1.2+, ALPN h2, client certificate requested but optional; the interceptor
 * verifies it), and the admin Unix socket at `socket_path` (folder 0750, socket 0770). Every
 * call passes the authorization interceptor, or for the methods taken by `rawStreams` (the
 * agents' BatchNewX509SVID and NewJWTSVID) the same check made by their stream handler.
 *
 * SVID rotation: the TCP listener stays open and swaps its secure context; connections opened
 * from then on are served the new SVID, open ones keep theirs (their agents verified it when they
 * connected) until they close.
 */
import { constants } from 'node:crypto';
import type { ConnectRouter, Interceptor } from '@connectrpc/connect';
import { type GrpcServer, type RawStreamHandler, serveGrpc } from '../../common/grpc/index.js';
import { LogField, type SpireLogger } from '../../common/log/index.js';
import { type ServerSvid, type ServerSvidRotator, tlsCredentials } from './server-svid.js';

/** The running API listeners. */
export interface ApiListeners {
  /** The TCP port actually bound. */
  readonly tcpPort: number;
  close(): Promise<void>;
}

/** What {@link startApiListeners} needs. */
export interface ApiListenerOptions {
  readonly routes: (router: ConnectRouter) => void;
  readonly interceptors: Interceptor[];
  /**
   * Methods served on the raw HTTP/2 streams before Connect (the agents' hot SVID methods), on
   * both listeners; each authorizes its calls itself with the same check as the interceptor.
   */
  readonly rawStreams?: RawStreamHandler;
  readonly bindAddress: string;
  readonly bindPort: number;
  readonly socketPath: string;
  readonly svid: ServerSvidRotator;
  readonly log: SpireLogger;
}

/** Opens both listeners; rotation of the server SVID updates the TCP one in place. */
export async function startApiListeners(opts: ApiListenerOptions): Promise<ApiListeners> {
  const unix = await serveGrpc({
    routes: opts.routes,
    interceptors: opts.interceptors,
    rawStreams: opts.rawStreams,
    listen: { kind: 'unix', path: opts.socketPath, mode: 0o770, dirMode: 0o750 },
  });
  opts.log.info({ [LogField.Address]: opts.socketPath }, 'Starting Server APIs');
  let tcp: GrpcServer;
  try {
    tcp = await serveTcp(opts, opts.bindPort, opts.svid.current);
  } catch (err) {
    await unix.close();
    throw err;
  }
  opts.log.info({ [LogField.Address]: tcp.address }, 'Starting Server APIs');
  const onRotated = (svid: ServerSvid) => {
    try {
      tcp.updateTls(tlsCredentials(svid));
    } catch (err) {
      opts.log.error({ [LogField.Error]: err }, 'Failed to present the rotated server SVID');
    }
  };
  opts.svid.on('rotated', onRotated);
  return {
    tcpPort: tcp.port ?? opts.bindPort,
    async close() {
      opts.svid.off('rotated', onRotated);
      await Promise.all([tcp.close(), unix.close()]);
    },
  };
}

function serveTcp(opts: ApiListenerOptions, port: number, svid: ServerSvid): Promise<GrpcServer> {
  return serveGrpc({
    routes: opts.routes,
    interceptors: opts.interceptors,
    rawStreams: opts.rawStreams,
    listen: {
      kind: 'tcp',
      host: opts.bindAddress,
      port,
      tls: {
        ...tlsCredentials(svid),
        minVersion: 'TLSv1.2',
        requestCert: true,
        // The chain is verified per call against the caller's trust-domain bundle.
        rejectUnauthorized: false,
        // No session tickets: every connection proves possession of the key it presents.
        secureOptions: constants.SSL_OP_NO_TICKET,
      },
    },
  });
}
