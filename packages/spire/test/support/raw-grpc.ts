import type http2 from 'node:http2';

/** Everything a server sent back on one HTTP/2 stream. */
export interface RawAnswer {
  readonly headers: http2.IncomingHttpHeaders;
  readonly trailers: http2.IncomingHttpHeaders;
  readonly body: Buffer;
}

/**
 * Sends `body` (already framed, or deliberately not) as a gRPC request to `path` on `session` and
 * reads the whole answer, for tests that check the wire without a gRPC library in between.
 */
export function rawGrpcCall(
  session: http2.ClientHttp2Session,
  path: string,
  body: Buffer,
  extra: http2.OutgoingHttpHeaders = {},
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const stream = session.request({
      ':method': 'POST',
      ':path': path,
      'content-type': 'application/grpc',
      te: 'trailers',
      ...extra,
    });
    let headers: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    stream.on('response', (h) => {
      headers = h;
    });
    stream.on('trailers', (t) => {
      trailers = t;
    });
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('error', reject);
    stream.on('close', () => resolve({ headers, trailers, body: Buffer.concat(chunks) }));
    stream.end(body);
  });
}
