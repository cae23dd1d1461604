export { CallSignal } from './call-signal.js';
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
  type RawStreamHandler,
  serveGrpc,
  type TcpListen,
  type UnixListen,
} from './server.js';
export { refuseContentType, ServerCall, type ServerCallOptions } from './server-call.js';
export {
  encodeGrpcMessage,
  FRAME_HEADER_BYTES,
  frameMessage,
  isGrpcProtoContentType,
  MessageReader,
  parseGrpcTimeout,
  type ReceivedMessage,
} from './wire.js';
