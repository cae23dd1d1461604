export { GrpcServerError, GrpcServerErrorCode } from './errors.js';
export {
  callerPeer,
  type PeerInfo,
  peerContextKey,
  type TcpPeer,
  type UnixPeer,
} from './peer.js';
export {
  type GrpcServer,
  type GrpcServerOptions,
  isLoopback,
  serveGrpc,
  type TcpListen,
  type UnixListen,
} from './server.js';
