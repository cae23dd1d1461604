/** gRPC test helpers: a raw-bytes echo service, a rotating source, servers and clients on loopback. */
import { EventEmitter } from 'node:events';
import * as grpc from '@grpc/grpc-js';
import type { BundleSet, X509Svid, X509TlsSource } from '@spire-ts/spiffe';

const raw = {
  requestSerialize: (b: Buffer) => b,
  requestDeserialize: (b: Buffer) => b,
  responseSerialize: (b: Buffer) => b,
  responseDeserialize: (b: Buffer) => b,
};

/** `Echo` answers its request; `Watch` streams whatever the test pushes until it ends the stream. */
export const echoService: grpc.ServiceDefinition = {
  echo: { path: '/test.Echo/Echo', requestStream: false, responseStream: false, ...raw },
  watch: { path: '/test.Echo/Watch', requestStream: false, responseStream: true, ...raw },
};

/** The client of {@link echoService}. */
export interface EchoClient extends grpc.Client {
  echo(req: Buffer, cb: (err: grpc.ServiceError | null, res: Buffer) => void): void;
  watch(req: Buffer): grpc.ClientReadableStream<Buffer>;
}

const EchoClientCtor = grpc.makeGenericClientConstructor(echoService, 'Echo') as unknown as new (
  address: string,
  credentials: grpc.ChannelCredentials,
) => EchoClient;

/** A source that emits `updated` when the test rotates it, as X509Source does. */
export class RotatingSource extends EventEmitter implements X509TlsSource {
  #svid: X509Svid;
  #bundles: BundleSet;

  constructor(svid: X509Svid, bundles: BundleSet) {
    super();
    this.#svid = svid;
    this.#bundles = bundles;
  }

  getX509Svid(): X509Svid {
    return this.#svid;
  }

  getX509BundleSet(): BundleSet {
    return this.#bundles;
  }

  /** Swaps in a new SVID (and bundles) and emits `updated`. */
  rotate(svid: X509Svid, bundles: BundleSet = this.#bundles): void {
    this.#svid = svid;
    this.#bundles = bundles;
    this.emit('updated');
  }
}

/** What the echo server saw: caller IDs per call, and the open Watch streams. */
export interface EchoServer {
  server: grpc.Server;
  port: number;
  callers: string[];
  watchers: grpc.ServerWritableStream<Buffer, Buffer>[];
}

/** Starts the echo service on 127.0.0.1 with `credentials`; `callerOf` names each caller. */
export async function startEchoServer(
  credentials: grpc.ServerCredentials,
  callerOf: (call: grpc.ServerUnaryCall<Buffer, Buffer>) => string,
): Promise<EchoServer> {
  const server = new grpc.Server();
  const callers: string[] = [];
  const watchers: grpc.ServerWritableStream<Buffer, Buffer>[] = [];
  server.addService(echoService, {
    echo: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
      callers.push(callerOf(call));
      cb(null, call.request);
    },
    watch: (call: grpc.ServerWritableStream<Buffer, Buffer>) => {
      watchers.push(call);
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', credentials, (err, p) => (err ? reject(err) : resolve(p))),
  );
  return { server, port, callers, watchers };
}

/** A client of the echo service at `port`. */
export function echoClient(port: number, credentials: grpc.ChannelCredentials): EchoClient {
  return new EchoClientCtor(`127.0.0.1:${port}`, credentials);
}

/** One Echo call as a promise. */
export function echo(client: EchoClient, text: string): Promise<string> {
  return new Promise((resolve, reject) =>
    client.echo(Buffer.from(text), (err, res) => (err ? reject(err) : resolve(res.toString()))),
  );
}

/** Resolves with the next message of a stream, or rejects when it errors or ends first. */
export function nextMessage(stream: grpc.ClientReadableStream<Buffer>): Promise<string> {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      stream.off('data', onData);
      stream.off('error', onError);
      stream.off('end', onEnd);
    };
    const onData = (d: Buffer) => {
      cleanup();
      resolve(d.toString());
    };
    const onError = (e: Error) => {
      cleanup();
      reject(e);
    };
    const onEnd = () => {
      cleanup();
      reject(new Error('stream ended'));
    };
    stream.on('data', onData);
    stream.on('error', onError);
    stream.on('end', onEnd);
  });
}

/** Waits until `check` holds, polling every 10 ms, up to `timeoutMs`. */
export async function until(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
