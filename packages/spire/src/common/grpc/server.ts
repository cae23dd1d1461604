import { once } from 'node:events';
import http2 from 'node:http2';
import { isIP } from 'node:net';
import type { SecureContextOptions } from 'node:tls';

import type { ConnectRouter, Interceptor } from '@connectrpc/connect';
import { connectNodeAdapter } from '@connectrpc/connect-node';

import { GrpcServerError, GrpcServerErrorCode } from './errors.js';
import { type PeerInfo, peerContextValues, tcpPeer, unixPeer } from './peer.js';
import { bindWithMode, prepareSocketPath, removeSocket } from './unix-socket.js';

/** Listen on a Unix-domain socket. */
export interface UnixListen {
  readonly kind: 'unix';
  /** Absolute path of the socket file. */
  readonly path: string;
  /** Permission bits of the socket file, e.g. 0o777 for SPIRE's public Workload API socket. */
  readonly mode: number;
  /** Permission bits of the parent folder if it has to be created (default 0o755). */
  readonly dirMode?: number;
}

/** Listen on TCP: plain text on loopback only, or TLS on any address. */
export interface TcpListen {
  readonly kind: 'tcp';
  readonly host: string;
  /** Port; 0 picks a free one (read it back from {@link GrpcServer.address}). */
  readonly port: number;
  /** TLS settings (key, cert, requestCert, ...); ALPN is fixed to h2. */
  readonly tls?: SecureContextOptions & { requestCert?: boolean; rejectUnauthorized?: boolean };
}

/** What {@link serveGrpc} needs. */
export interface GrpcServerOptions {
  /** Registers the services, as for Connect's adapters. */
  readonly routes: (router: ConnectRouter) => void;
  readonly listen: UnixListen | TcpListen;
  readonly interceptors?: Interceptor[];
  /**
   * Largest request message accepted, in bytes; larger ones are answered ResourceExhausted before
   * they are buffered. Default 4 MiB, grpc-go's (and so SPIRE's) limit.
   */
  readonly readMaxBytes?: number;
  /** How long close() lets open streams finish before cutting them (default 5000 ms). */
  readonly closeGraceMs?: number;
  /**
   * Responses at least this large are compressed when the client accepts it. Default: never,
   * as grpc-go servers (SPIRE's) answer uncompressed; compressed requests are accepted either way.
   */
  readonly compressMinBytes?: number;
  /**
   * Sees every stream before Connect does, with the caller's peer; returns true when it took the
   * stream (and then answers it itself), false to leave it to the Connect routes. For hot
   * methods served by hand-written wire code (see `ServerCall`).
   */
  readonly rawStreams?: RawStreamHandler;
  /**
   * HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS announced to each connection: a client opening more
   * at once has the extra ones refused (REFUSED_STREAM). Default: Node's, effectively unbounded.
   */
  readonly maxConcurrentStreams?: number;
}

/** Takes a stream before Connect; see {@link GrpcServerOptions.rawStreams}. */
export type RawStreamHandler = (
  stream: http2.ServerHttp2Stream,
  headers: http2.IncomingHttpHeaders,
  peer: PeerInfo | undefined,
) => boolean;

/** The certificate and key a TLS listener presents; PEM or DER as `tls.createSecureContext` takes. */
export interface TlsCredentials {
  readonly cert: NonNullable<SecureContextOptions['cert']>;
  readonly key: NonNullable<SecureContextOptions['key']>;
}

/** A running gRPC server. */
export interface GrpcServer {
  /** `unix://<path>` or `tcp://<host>:<port>` (or `[host]` for IPv6), port resolved. */
  readonly address: string;
  /** TCP port actually bound, or undefined on a Unix socket. */
  readonly port: number | undefined;
  /**
   * Presents `credentials` to every TLS connection opened from now on, without closing the
   * listener: open connections keep the certificate they were opened with. The other TLS
   * settings stay as given to {@link serveGrpc}.
   * @throws GrpcServerError `ERR_GRPC_INVALID_OPTIONS` on a listener without TLS, or when
   *   the certificate or key cannot be loaded (the listener keeps its previous credentials)
   */
  updateTls(credentials: TlsCredentials): void;
  /** Stops accepting, lets calls finish for the grace period, then cuts the rest. */
  close(): Promise<void>;
}

const DEFAULT_CLOSE_GRACE_MS = 5_000;
const DEFAULT_READ_MAX_BYTES = 4 * 1024 * 1024;
const NEVER_COMPRESS = Number.MAX_SAFE_INTEGER;
const DEFAULT_DIR_MODE = 0o755;

/**
 * Serves Connect routes with the gRPC protocol only (no Connect, no gRPC-Web) on a `node:http2`
 * server. Each connection's peer is read once when it opens (SO_PEERCRED on a Unix socket, the
 * presented certificates over TLS) and every handler finds it with `callerPeer(context)`.
 */
export async function serveGrpc(options: GrpcServerOptions): Promise<GrpcServer> {
  const { listen } = options;
  checkListen(listen);

  const peers = new WeakMap<http2.Http2Session, PeerInfo>();
  const handler = connectNodeAdapter({
    routes: options.routes,
    grpc: true,
    grpcWeb: false,
    connect: false,
    interceptors: options.interceptors ?? [],
    readMaxBytes: options.readMaxBytes ?? DEFAULT_READ_MAX_BYTES,
    compressMinBytes: options.compressMinBytes ?? NEVER_COMPRESS,
    contextValues: peerContextValues((session) => peers.get(session)),
  });

  const tls = listen.kind === 'tcp' ? listen.tls : undefined;
  const settings =
    options.maxConcurrentStreams === undefined
      ? {}
      : { settings: { maxConcurrentStreams: options.maxConcurrentStreams } };
  const server = tls
    ? http2.createSecureServer(
        { ...tls, ...settings, ALPNProtocols: ['h2'], allowHTTP1: false },
        handler,
      )
    : http2.createServer(settings, handler);
  if (options.rawStreams) divertStreams(server, options.rawStreams, peers);

  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (session: http2.ServerHttp2Session) => {
    peers.set(session, listen.kind === 'unix' ? unixPeer(session) : tcpPeer(session, !!tls));
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
  });

  await startListening(server, listen);
  const closeGraceMs = options.closeGraceMs ?? DEFAULT_CLOSE_GRACE_MS;
  return handle(server, listen, sessions, closeGraceMs);
}

/**
 * Puts `raw` in front of Node's compatibility layer (the 'stream' listener that builds the
 * request and response objects Connect's adapter takes): streams it does not take go on there.
 */
function divertStreams(
  server: http2.Http2Server | http2.Http2SecureServer,
  raw: RawStreamHandler,
  peers: WeakMap<http2.Http2Session, PeerInfo>,
): void {
  const compat = server.listeners('stream') as ((...args: unknown[]) => void)[];
  server.removeAllListeners('stream');
  server.on('stream', (stream: http2.ServerHttp2Stream, headers, ...rest: unknown[]) => {
    if (raw(stream, headers, peers.get(stream.session as http2.Http2Session))) return;
    for (const listener of compat) listener.call(server, stream, headers, ...rest);
  });
}

/** Refuses listen options that would expose an unauthenticated port or are malformed. */
function checkListen(listen: UnixListen | TcpListen): void {
  if (listen.kind === 'unix') {
    if (!listen.path.startsWith('/')) {
      throw new GrpcServerError(
        GrpcServerErrorCode.InvalidOptions,
        `socket path must be absolute, got ${JSON.stringify(listen.path)}`,
      );
    }
    if (!Number.isInteger(listen.mode) || listen.mode < 0 || listen.mode > 0o777) {
      throw new GrpcServerError(
        GrpcServerErrorCode.InvalidOptions,
        `socket mode must be permission bits between 0 and 0o777, got ${listen.mode}`,
      );
    }
    return;
  }
  if (!listen.tls && !isLoopback(listen.host)) {
    throw new GrpcServerError(
      GrpcServerErrorCode.PlaintextNotLoopback,
      `plain-text grpc may listen on loopback only, not ${listen.host}: give tls options`,
    );
  }
}

/** True for 127.0.0.0/8, ::1 and `localhost`. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

/** Binds the server and resolves once it listens, or rejects with the bind error. */
async function startListening(
  server: http2.Http2Server | http2.Http2SecureServer,
  listen: UnixListen | TcpListen,
) {
  const listening = once(server, 'listening');
  try {
    if (listen.kind === 'unix') {
      await prepareSocketPath(listen.path, listen.dirMode ?? DEFAULT_DIR_MODE);
      bindWithMode(listen.path, listen.mode, () => server.listen(listen.path));
    } else {
      server.listen(listen.port, listen.host);
    }
    await listening;
  } catch (err) {
    server.close();
    if (err instanceof GrpcServerError) throw err;
    throw new GrpcServerError(
      GrpcServerErrorCode.Listen,
      `failed to listen on ${where(listen)}: ${listenFailure(err, listen)}`,
      { cause: err },
    );
  }
}

/** Why a bind failed, and what the operator can change, for the common errno values. */
function listenFailure(err: unknown, listen: UnixListen | TcpListen): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const option = listen.kind === 'unix' ? 'socket path' : 'bind address or port';
  if (code === 'EADDRINUSE')
    return `address already in use; stop the other process or choose another ${option}`;
  if (code === 'EACCES')
    return `permission denied; run with the needed rights or choose another ${option}`;
  if (code === 'EADDRNOTAVAIL') return 'address not available on this host; check the bind address';
  return err instanceof Error ? err.message : String(err);
}

function where(listen: UnixListen | TcpListen): string {
  if (listen.kind === 'unix') return `unix://${listen.path}`;
  const host = isIP(listen.host) === 6 ? `[${listen.host}]` : listen.host;
  return `tcp://${host}:${listen.port}`;
}

/** Wraps the listening server in the small {@link GrpcServer} interface. */
function handle(
  server: http2.Http2Server | http2.Http2SecureServer,
  listen: UnixListen | TcpListen,
  sessions: Set<http2.ServerHttp2Session>,
  graceMs: number,
): GrpcServer {
  const bound = server.address();
  const port = typeof bound === 'object' && bound ? bound.port : undefined;
  const address = listen.kind === 'unix' ? where(listen) : where({ ...listen, port: port ?? 0 });

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= closeServer(server, sessions, graceMs).then(() => {
      if (listen.kind === 'unix') removeSocket(listen.path);
    });
    return closing;
  };
  const updateTls = (credentials: TlsCredentials) =>
    replaceCredentials(server, listen, credentials);
  return { address, port, updateTls, close };
}

/** Swaps the secure context of a TLS listener; the settings other than cert and key are kept. */
function replaceCredentials(
  server: http2.Http2Server | http2.Http2SecureServer,
  listen: UnixListen | TcpListen,
  credentials: TlsCredentials,
): void {
  const tls = listen.kind === 'tcp' ? listen.tls : undefined;
  if (!tls || !('setSecureContext' in server)) {
    throw new GrpcServerError(
      GrpcServerErrorCode.InvalidOptions,
      `cannot update tls credentials of ${where(listen)}: it does not serve tls`,
    );
  }
  const { requestCert: _r, rejectUnauthorized: _u, ...context } = tls;
  try {
    server.setSecureContext({ ...context, cert: credentials.cert, key: credentials.key });
  } catch (cause) {
    throw new GrpcServerError(
      GrpcServerErrorCode.InvalidOptions,
      `failed to load the new tls certificate or key of ${where(listen)}`,
      { cause },
    );
  }
}

/** Stops accepting, asks sessions to finish, and destroys those still open after `graceMs`. */
async function closeServer(
  server: http2.Http2Server | http2.Http2SecureServer,
  sessions: Set<http2.ServerHttp2Session>,
  graceMs: number,
): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  for (const session of sessions) session.close();

  const timer = setTimeout(() => {
    for (const session of sessions) session.destroy();
  }, graceMs);
  try {
    await closed;
  } finally {
    clearTimeout(timer);
  }
}
