/**
 * A hostile gRPC client for security tests: speaks raw HTTP/2 so that it can send what a real
 * client library refuses to (an oversized message, a length prefix that lies, garbage frames).
 */
import http2 from 'node:http2';
import net from 'node:net';

/** Where to connect: a Unix socket path, or `host:port` over TLS (server certificate not checked). */
export type RawTarget = { readonly socketPath: string } | { readonly tlsAddress: string };

/** The status a raw call ended with. */
export interface RawOutcome {
  /** `grpc-status`, or undefined when the stream was cut without one. */
  readonly status: number | undefined;
  readonly message: string;
}

/** Opens an HTTP/2 session to `target`. Close it when done. */
export function rawSession(target: RawTarget): http2.ClientHttp2Session {
  const session =
    'socketPath' in target
      ? http2.connect('http://localhost', {
          createConnection: () => net.connect(target.socketPath),
        })
      : http2.connect(`https://${target.tlsAddress}`, { rejectUnauthorized: false });
  session.on('error', () => {});
  return session;
}

/**
 * Calls `path` with one gRPC message whose body is `bodyBytes` bytes long (a protobuf field 1
 * string of `A`s, so it is well-formed whatever its size), and collects the status.
 */
export async function callWithBody(
  session: http2.ClientHttp2Session,
  path: string,
  bodyBytes: number,
  headers: Record<string, string> = { 'workload.spiffe.io': 'true' },
): Promise<RawOutcome> {
  const req = session.request({
    ':method': 'POST',
    ':path': path,
    'content-type': 'application/grpc',
    te: 'trailers',
    ...headers,
  });
  const outcome = collect(req);
  req.on('error', () => {});
  const body = protoString(bodyBytes);
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(body.length, 1);
  // Written in the background: a server that refuses the message stops reading it, and answers.
  void writeAll(req, Buffer.concat([prefix, body])).then(() => req.end());
  const result = await outcome;
  if (!req.closed) req.close(http2.constants.NGHTTP2_CANCEL);
  return result;
}

/** A message holding field 1 (length-delimited) of `total` bytes in all. */
function protoString(total: number): Buffer {
  let len = total - 2;
  let varint = encodeVarint(len);
  while (1 + varint.length + len !== total && len > 0) {
    len = total - 1 - varint.length;
    varint = encodeVarint(len);
  }
  return Buffer.concat([Buffer.from([0x0a]), varint, Buffer.alloc(len, 0x41)]);
}

function encodeVarint(n: number): Buffer {
  const out: number[] = [];
  let v = n;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return Buffer.from(out);
}

async function writeAll(req: http2.ClientHttp2Stream, data: Buffer): Promise<void> {
  const CHUNK = 256 * 1024;
  for (let off = 0; off < data.length; off += CHUNK) {
    if (req.destroyed || req.closed) return;
    if (!req.write(data.subarray(off, off + CHUNK))) {
      await new Promise<void>((resolve) => {
        const done = () => {
          req.off('drain', done);
          req.off('close', done);
          resolve();
        };
        req.on('drain', done);
        req.on('close', done);
      });
    }
  }
}

function collect(req: http2.ClientHttp2Stream): Promise<RawOutcome> {
  return new Promise((resolve) => {
    let status: number | undefined;
    let message = '';
    const take = (h: http2.IncomingHttpHeaders) => {
      if (h['grpc-status'] !== undefined) status = Number(h['grpc-status']);
      if (typeof h['grpc-message'] === 'string') message = decodeURIComponent(h['grpc-message']);
    };
    req.on('response', (h) => {
      take(h);
      // A trailers-only answer carries the status in the response headers.
      if (status !== undefined) resolve({ status, message });
    });
    req.on('trailers', (h) => {
      take(h);
      resolve({ status, message });
    });
    req.on('data', () => {});
    req.on('close', () => resolve({ status, message }));
  });
}
