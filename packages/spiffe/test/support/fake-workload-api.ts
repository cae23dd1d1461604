/**
 * A scripted fake of the SPIFFE Workload API for SDK tests: a Connect router (gRPC protocol
 * only) on a Unix socket in a fresh temp dir. Each stream RPC is driven by a {@link FakeStream};
 * unary RPCs by a handler function. Like SPIRE's agent, every call without the exact
 * `workload.spiffe.io: true` header is answered InvalidArgument.
 *
 * ```ts
 * const fake = await FakeWorkloadApi.start();
 * fake.x509Svid.set(x509Response(svid));
 * const client = new WorkloadApiClient({ address: fake.address });
 * ```
 */
import { mkdtempSync, rmSync } from 'node:fs';
import http2 from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { Code, ConnectError, type ConnectRouter, type HandlerContext } from '@connectrpc/connect';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import {
  type JWTBundlesResponseSchema,
  type JWTSVIDRequest,
  type JWTSVIDResponseSchema,
  SpiffeWorkloadAPI,
  type ValidateJWTSVIDRequest,
  type ValidateJWTSVIDResponseSchema,
  type X509BundlesResponseSchema,
  type X509SVIDResponseSchema,
} from '../../src/gen/workload_pb.js';

export type X509SvidResponseInit = MessageInitShape<typeof X509SVIDResponseSchema>;
export type X509BundlesResponseInit = MessageInitShape<typeof X509BundlesResponseSchema>;
export type JwtBundlesResponseInit = MessageInitShape<typeof JWTBundlesResponseSchema>;
export type JwtSvidResponseInit = MessageInitShape<typeof JWTSVIDResponseSchema>;
export type ValidateResponseInit = MessageInitShape<typeof ValidateJWTSVIDResponseSchema>;

type State<T> = { kind: 'value'; value: T } | { kind: 'error'; error: ConnectError };

/**
 * The script of one server-stream RPC. `set` pushes a full-state response to every open stream
 * and to each new one; `fail` ends open streams with a status and answers new ones with it;
 * `failNextOpens` makes the next opens fail before the current state applies; `endStreams`
 * closes open streams with OK (a server-side close).
 */
export class FakeStream<T> {
  /** How many times a client opened this stream. */
  opened = 0;
  #state: State<T> | undefined;
  #failNext: ConnectError[] = [];
  #wake = new Set<() => void>();
  #generation = 0;
  #ended = 0;

  /** Makes `value` the current state and sends it on every open stream. */
  set(value: T): void {
    this.#state = { kind: 'value', value };
    this.#notify();
  }

  /** Ends open streams with `code` and answers new opens with it until the next `set`. */
  fail(code: Code, message: string): void {
    this.#state = { kind: 'error', error: new ConnectError(message, code) };
    this.#notify();
  }

  /** The next `codes.length` opens fail with these codes, in order. */
  failNextOpens(...errors: [Code, string][]): void {
    this.#failNext.push(...errors.map(([code, msg]) => new ConnectError(msg, code)));
  }

  /** Closes every open stream with status OK, as a server restart or GOAWAY would. */
  endStreams(): void {
    this.#ended += 1;
    this.#notify();
  }

  /** Serves one stream (used by the router). */
  async *serve(signal: AbortSignal): AsyncGenerator<T> {
    this.opened += 1;
    const early = this.#failNext.shift();
    if (early) throw early;
    const ended = this.#ended;
    let sent = -1;
    while (!signal.aborted && ended === this.#ended) {
      const state = this.#state;
      if (state?.kind === 'error') throw state.error;
      if (state && sent !== this.#generation) {
        sent = this.#generation;
        yield state.value;
        continue;
      }
      await this.#waitForChange(signal);
    }
  }

  #notify(): void {
    this.#generation += 1;
    for (const wake of this.#wake) wake();
  }

  #waitForChange(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.#wake.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      this.#wake.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }
}

/** One call the fake received: the method and the value of the security header, if any. */
export interface FakeCall {
  method: string;
  securityHeader: string | null;
}

/** The fake Workload API server. */
export class FakeWorkloadApi {
  /** `unix:///<tmp>/agent.sock` */
  readonly address: string;
  /** The socket path. */
  readonly path: string;
  readonly x509Svid = new FakeStream<X509SvidResponseInit>();
  readonly x509Bundles = new FakeStream<X509BundlesResponseInit>();
  readonly jwtBundles = new FakeStream<JwtBundlesResponseInit>();
  /** Answers FetchJWTSVID; throw a ConnectError to answer with a status. */
  jwtSvid: (req: JWTSVIDRequest) => JwtSvidResponseInit = () => {
    throw new ConnectError('no identity issued', Code.PermissionDenied);
  };
  /** Answers ValidateJWTSVID; throw a ConnectError to answer with a status. */
  validateJwtSvid: (req: ValidateJWTSVIDRequest) => ValidateResponseInit = () => {
    throw new ConnectError('not scripted', Code.Unimplemented);
  };
  /** Every call received, in order. */
  readonly calls: FakeCall[] = [];
  readonly #dir: string;
  readonly #server: http2.Http2Server;
  readonly #sessions = new Set<http2.ServerHttp2Session>();

  private constructor(dir: string) {
    this.#dir = dir;
    this.path = join(dir, 'agent.sock');
    this.address = `unix://${this.path}`;
    const handler = connectNodeAdapter({
      routes: (router) => this.#routes(router),
      grpc: true,
      connect: false,
      grpcWeb: false,
    });
    this.#server = http2.createServer(handler);
    this.#server.on('session', (s) => {
      this.#sessions.add(s);
      s.once('close', () => this.#sessions.delete(s));
    });
  }

  /** Starts a fake on a socket in a new temp dir. */
  static async start(): Promise<FakeWorkloadApi> {
    const fake = new FakeWorkloadApi(mkdtempSync(join(tmpdir(), 'fake-wapi-')));
    await new Promise<void>((resolve, reject) => {
      fake.#server.once('error', reject);
      fake.#server.listen(fake.path, () => resolve());
    });
    return fake;
  }

  /** Calls of `method` so far. */
  callsOf(method: string): FakeCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** Drops every connection, stops listening and removes the temp dir. */
  async close(): Promise<void> {
    for (const s of this.#sessions) s.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    rmSync(this.#dir, { recursive: true, force: true });
  }

  #routes(router: ConnectRouter): void {
    const guard = (method: string, ctx: HandlerContext) => this.#guard(method, ctx);
    router.service(SpiffeWorkloadAPI, {
      fetchX509SVID: (_req, ctx) => this.#stream('FetchX509SVID', ctx, this.x509Svid),
      fetchX509Bundles: (_req, ctx) => this.#stream('FetchX509Bundles', ctx, this.x509Bundles),
      fetchJWTBundles: (_req, ctx) => this.#stream('FetchJWTBundles', ctx, this.jwtBundles),
      fetchJWTSVID: (req, ctx) => {
        guard('FetchJWTSVID', ctx);
        return this.jwtSvid(req);
      },
      validateJWTSVID: (req, ctx) => {
        guard('ValidateJWTSVID', ctx);
        return this.validateJwtSvid(req);
      },
    });
  }

  async *#stream<T>(method: string, ctx: HandlerContext, script: FakeStream<T>): AsyncGenerator<T> {
    this.#guard(method, ctx);
    yield* script.serve(ctx.signal);
  }

  /** Workload Endpoint §3: exactly `true`, case-sensitive, else InvalidArgument. */
  #guard(method: string, ctx: HandlerContext): void {
    const value = ctx.requestHeader.get('workload.spiffe.io');
    this.calls.push({ method, securityHeader: value });
    if (value !== 'true') {
      throw new ConnectError('security header missing from request', Code.InvalidArgument);
    }
  }
}
