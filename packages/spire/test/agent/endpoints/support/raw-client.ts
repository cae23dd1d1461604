/**
 * A raw HTTP/2 gRPC client for wire tests: sends exactly the bytes and headers a test gives
 * (malformed frames, wrong content-types, compressed flags) and reports everything it got back.
 */
import http2 from 'node:http2';
import net from 'node:net';

/** What came back on one stream. */
export interface RawResult {
  /** HTTP `:status` of the response headers. */
  readonly httpStatus: number | undefined;
  /** `grpc-status`, from a trailers-only response or the trailers. */
  readonly status: number | undefined;
  /** `grpc-message`, percent-decoded. */
  readonly message: string;
  /** `grpc-message` exactly as sent. */
  readonly rawMessage: string | undefined;
  /** True when the status came in the response headers (trailers-only). */
  readonly trailersOnly: boolean;
  /** The length-prefixed messages of the body, without their prefix. */
  readonly messages: Buffer[];
  /** The RST_STREAM code the stream closed with (0 when it ended normally). */
  readonly rstCode: number;
}

/** Opens an HTTP/2 connection to the Unix socket at `socketPath`. */
export function rawConnect(socketPath: string): http2.ClientHttp2Session {
  const session = http2.connect('http://localhost', {
    createConnection: () => net.connect(socketPath),
  });
  session.on('error', () => {});
  return session;
}

/** A gRPC message frame: flag byte, big-endian length, body. */
export function frame(body: Uint8Array, flag = 0, length = body.length): Buffer {
  const head = Buffer.alloc(5);
  head[0] = flag;
  head.writeUInt32BE(length, 1);
  return Buffer.concat([head, body]);
}

/** Request options of {@link rawCall}. */
export interface RawCallOptions {
  readonly path: string;
  /** Extra or replacing request headers (content-type and the security header are preset). */
  readonly headers?: Record<string, string | string[] | undefined>;
  /** The request body, written in one go. */
  readonly body?: Buffer;
  /** Whether to end the request side after the body (default true). */
  readonly end?: boolean;
}

/** Opens one stream and resolves once it closes, with all it received. */
export function rawCall(session: http2.ClientHttp2Session, options: RawCallOptions) {
  return collect(open(session, options));
}

/** Opens one stream without waiting: the test drives it (cancel) and collects later. */
export function open(session: http2.ClientHttp2Session, options: RawCallOptions) {
  const headers: Record<string, string | string[]> = {
    ':method': 'POST',
    ':path': options.path,
    'content-type': 'application/grpc',
    te: 'trailers',
    'workload.spiffe.io': 'true',
  };
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    if (value === undefined) delete headers[name];
    else headers[name] = value;
  }
  const req = session.request(headers);
  req.on('error', () => {});
  if (options.body) req.write(options.body);
  if (options.end ?? true) req.end();
  return req;
}

/** Collects a stream's response until it closes. */
export function collect(req: http2.ClientHttp2Stream): Promise<RawResult> {
  return new Promise((resolve) => {
    let httpStatus: number | undefined;
    let status: number | undefined;
    let rawMessage: string | undefined;
    let trailersOnly = false;
    const chunks: Buffer[] = [];
    const take = (h: http2.IncomingHttpHeaders) => {
      if (h['grpc-status'] !== undefined) status = Number(h['grpc-status']);
      if (typeof h['grpc-message'] === 'string') rawMessage = h['grpc-message'];
    };
    req.on('response', (h) => {
      httpStatus = Number(h[':status']);
      take(h);
      trailersOnly = status !== undefined;
    });
    req.on('trailers', take);
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('close', () =>
      resolve({
        httpStatus,
        status,
        message: rawMessage === undefined ? '' : decodeURIComponent(rawMessage),
        rawMessage,
        trailersOnly,
        messages: split(Buffer.concat(chunks)),
        rstCode: req.rstCode ?? 0,
      }),
    );
  });
}

/** Waits for the first complete message on an open stream. */
export function firstFrame(req: http2.ClientHttp2Stream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let got = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      got = Buffer.concat([got, chunk]);
      if (got.length >= 5 && got.length >= 5 + got.readUInt32BE(1)) {
        req.off('data', onData);
        resolve(got.subarray(5, 5 + got.readUInt32BE(1)));
      }
    };
    req.on('data', onData);
    req.once('close', () => reject(new Error('stream closed before a message')));
  });
}

function split(body: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let off = 0;
  while (off + 5 <= body.length) {
    const length = body.readUInt32BE(off + 1);
    out.push(body.subarray(off + 5, off + 5 + length));
    off += 5 + length;
  }
  return out;
}
