import net from 'node:net';
import { type Client, ConnectError, createClient, type Interceptor } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { SpiffeWorkloadAPI } from '@spire-ts/spiffe/workload-proto';
import { Health } from '../../../../src/gen/grpc/health/v1/health_pb.js';

/** A Workload API client on `socketPath` sending `workload.spiffe.io: <header>` (none if null). */
export function workloadClient(
  socketPath: string,
  header: string | null = 'true',
): Client<typeof SpiffeWorkloadAPI> {
  const withHeader: Interceptor = (next) => (req) => {
    if (header !== null) req.header.set('workload.spiffe.io', header);
    return next(req);
  };
  const transport = createGrpcTransport({
    baseUrl: 'http://localhost',
    nodeOptions: { createConnection: () => net.connect(socketPath) },
    interceptors: [withHeader],
  });
  return createClient(SpiffeWorkloadAPI, transport);
}

/** A grpc.health.v1 client on `socketPath`. */
export function healthClient(socketPath: string): Client<typeof Health> {
  const transport = createGrpcTransport({
    baseUrl: 'http://localhost',
    nodeOptions: { createConnection: () => net.connect(socketPath) },
  });
  return createClient(Health, transport);
}

/** The status a call failed with, as `{ code, message }` (raw message, no code prefix). */
export async function failure(
  call: () => Promise<unknown>,
): Promise<{ code: number; message: string }> {
  try {
    await call();
  } catch (err) {
    const e = ConnectError.from(err);
    return { code: e.code, message: e.rawMessage };
  }
  throw new Error('expected the call to fail');
}

/** The first message of a server stream; the stream is cancelled after it. */
export async function firstMessage<T>(
  stream: (signal: AbortSignal) => AsyncIterable<T>,
): Promise<T> {
  const abort = new AbortController();
  try {
    for await (const message of stream(abort.signal)) return message;
    throw new Error('stream ended without a message');
  } finally {
    abort.abort();
  }
}
