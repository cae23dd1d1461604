import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

/** Our workload.proto, loaded by an implementation other than ours (grpc-js + proto-loader). */
export const WORKLOAD_PROTO = fileURLToPath(
  new URL('../../../packages/spiffe/proto/workload.proto', import.meta.url),
);

const definition = protoLoader.loadSync(WORKLOAD_PROTO, {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
});
// No proto package: the service sits at the top level, so its paths are /SpiffeWorkloadAPI/<M>.
const Service = grpc.loadPackageDefinition(definition)[
  'SpiffeWorkloadAPI'
] as grpc.ServiceClientConstructor;

/** A grpc-js client of the Workload API on a Unix socket. */
export function grpcWorkloadClient(
  socketPath: string,
): grpc.Client &
  Record<string, grpc.MethodDefinition<unknown, unknown> & ((...args: unknown[]) => unknown)> {
  return new Service(`unix://${socketPath}`, grpc.credentials.createInsecure()) as never;
}

/** Metadata with `workload.spiffe.io: <value>`, or none. */
export function header(value: string | null = 'true'): grpc.Metadata {
  const md = new grpc.Metadata();
  if (value !== null) md.set('workload.spiffe.io', value);
  return md;
}

/** The outcome of a call: the value, or the status code and details. */
export type Outcome<T> = ({ ok: true; value: T } | { ok: false; code: number; details: string }) & {
  /** When it arrived (performance.now()), for stream messages. */
  at?: number;
};

/** A unary call. */
export function unary<T>(
  socketPath: string,
  method: string,
  req: object,
  md = header(),
): Promise<Outcome<T>> {
  const client = grpcWorkloadClient(socketPath);
  return new Promise((resolve) => {
    (
      client[method] as (
        r: object,
        m: grpc.Metadata,
        cb: (e: grpc.ServiceError | null, v: T) => void,
      ) => void
    )(req, md, (err, value) => {
      client.close();
      resolve(err ? { ok: false, code: err.code, details: err.details } : { ok: true, value });
    });
  });
}

/** The first message of a server stream (then cancelled), or the status it ended with. */
export function first<T>(socketPath: string, method: string, md = header()): Promise<Outcome<T>> {
  return new Promise((resolve) => {
    const stream = openStream<T>(socketPath, method, md);
    stream.next().then(({ at: _at, ...outcome }) => {
      stream.cancel();
      resolve(outcome as Outcome<T>);
    });
  });
}

/** An open server stream read message by message. */
export interface OpenStream<T> {
  next(timeoutMs?: number): Promise<Outcome<T>>;
  /** True when no message arrives within `ms`. */
  quiet(ms: number): Promise<boolean>;
  cancel(): void;
}

/** Opens a server stream and queues what arrives. */
export function openStream<T>(socketPath: string, method: string, md = header()): OpenStream<T> {
  const client = grpcWorkloadClient(socketPath);
  const call = (client[method] as (r: object, m: grpc.Metadata) => grpc.ClientReadableStream<T>)(
    {},
    md,
  );
  const queue: Outcome<T>[] = [];
  const waiters: ((o: Outcome<T>) => void)[] = [];
  const push = (outcome: Outcome<T>) => {
    const o = { ...outcome, at: performance.now() };
    const waiter = waiters.shift();
    if (waiter) waiter(o);
    else queue.push(o);
  };
  call.on('data', (value: T) => push({ ok: true, value }));
  call.on('error', (err: grpc.ServiceError) =>
    push({ ok: false, code: err.code, details: err.details }),
  );
  const stream: OpenStream<T> = {
    next: (timeoutMs = 15_000) => {
      const queued = queue.shift();
      if (queued) return Promise.resolve(queued);
      return new Promise((resolve, reject) => {
        const waiter = (o: Outcome<T>) => {
          clearTimeout(timer);
          resolve(o);
        };
        // A timed-out waiter leaves the list, so a later message waits for the next call.
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(new Error(`no message on ${method} within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.push(waiter);
      });
    },
    quiet: async (ms: number) => {
      try {
        await stream.next(ms);
        return false;
      } catch {
        return true;
      }
    },
    cancel: () => {
      call.cancel();
      client.close();
    },
  };
  return stream;
}

/** X509SVIDResponse as proto-loader decodes it. */
export interface X509SvidResponse {
  svids: {
    spiffe_id: string;
    x509_svid: Buffer;
    x509_svid_key: Buffer;
    bundle: Buffer;
    hint: string;
  }[];
  federated_bundles: Record<string, Buffer>;
}

export { grpc };
