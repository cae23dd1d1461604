// A grpc-js server doing SPIFFE mTLS: presents its SVID from the agent, lets through only callers
// of trust domain example.org, and greets each by its SPIFFE ID.
import * as grpc from '@grpc/grpc-js';
import { matchMemberOf, TrustDomain, X509Source } from '@spire-ts/spiffe';
import { callerSpiffeId, spiffeServerCredentials } from '@spire-ts/spiffe/grpc';
import { greeterService, type HelloReply, type HelloRequest } from './greeter.js';

const port = Number(process.env.PORT ?? 50051);
const source = await X509Source.create({ hint: 'grpc-server' });

const server = new grpc.Server();
server.addService(greeterService, {
  hello: (
    call: grpc.ServerUnaryCall<HelloRequest, HelloReply>,
    callback: grpc.sendUnaryData<HelloReply>,
  ) => {
    const caller = callerSpiffeId(call);
    callback(null, { message: `hello ${call.request.name}, you are ${caller}` });
  },
});

const credentials = spiffeServerCredentials(
  source,
  matchMemberOf(TrustDomain.fromString('example.org')),
);
server.bindAsync(`127.0.0.1:${port}`, credentials, (err, bound) => {
  if (err) throw err;
  console.log(`server: ${source.getX509Svid().id} on 127.0.0.1:${bound}`);
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => server.tryShutdown(() => source.close()));
}
