// A Workload API on a Unix socket that answers with canned responses and records what it was
// asked, so CLI tests can assert exact output without a running agent.
import { createServer, type Http2Server, type Http2Session } from 'node:http2';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { Code, ConnectError, type ConnectRouter } from '@connectrpc/connect';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import {
  type JWTBundlesResponseSchema,
  type JWTSVIDResponseSchema,
  SpiffeWorkloadAPI,
  type ValidateJWTSVIDResponseSchema,
  type X509SVIDResponseSchema,
} from '@spire-ts/spiffe/workload-proto';

/** What the fake answers; an Error answers with that status instead. */
export interface FakeResponses {
  x509?: MessageInitShape<typeof X509SVIDResponseSchema>;
  jwtSvid?: MessageInitShape<typeof JWTSVIDResponseSchema> | ConnectError;
  jwtBundles?: MessageInitShape<typeof JWTBundlesResponseSchema>;
  validate?: MessageInitShape<typeof ValidateJWTSVIDResponseSchema> | ConnectError;
}

/** One call the fake received: method, request fields and the security header. */
export interface RecordedCall {
  readonly method: string;
  readonly request: Record<string, unknown>;
  readonly securityHeader: string | null;
}

export interface FakeWorkloadApi {
  readonly responses: FakeResponses;
  readonly calls: RecordedCall[];
  close(): Promise<void>;
}

/** Starts the fake on `socketPath`. */
export async function startFakeWorkloadApi(socketPath: string): Promise<FakeWorkloadApi> {
  const responses: FakeResponses = {};
  const calls: RecordedCall[] = [];
  const record = (method: string, request: object, header: Headers) =>
    calls.push({
      method,
      request: { ...request } as Record<string, unknown>,
      securityHeader: header.get('workload.spiffe.io'),
    });
  const answer = <T>(r: T | ConnectError | undefined): T => {
    if (r instanceof ConnectError) throw r;
    if (r === undefined) throw new ConnectError('no canned response', Code.Unimplemented);
    return r;
  };
  const routes = (router: ConnectRouter) =>
    router.service(SpiffeWorkloadAPI, {
      async *fetchX509SVID(req, ctx) {
        record('FetchX509SVID', req, ctx.requestHeader);
        yield answer(responses.x509);
      },
      async *fetchJWTBundles(req, ctx) {
        record('FetchJWTBundles', req, ctx.requestHeader);
        yield answer(responses.jwtBundles);
      },
      async fetchJWTSVID(req, ctx) {
        record(
          'FetchJWTSVID',
          { audience: [...req.audience], spiffeId: req.spiffeId },
          ctx.requestHeader,
        );
        return answer(responses.jwtSvid);
      },
      async validateJWTSVID(req, ctx) {
        record('ValidateJWTSVID', { audience: req.audience, svid: req.svid }, ctx.requestHeader);
        return answer(responses.validate);
      },
    });
  const server: Http2Server = createServer(connectNodeAdapter({ routes }));
  const sessions = new Set<Http2Session>();
  server.on('session', (session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, resolve);
  });
  return {
    responses,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const session of sessions) session.destroy();
      }),
  };
}
