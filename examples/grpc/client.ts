// Calls the example gRPC server over SPIFFE mTLS, expecting the server's exact SPIFFE ID.
import { matchId, SpiffeId, X509Source } from '@spire-ts/spiffe';
import { spiffeChannelCredentials } from '@spire-ts/spiffe/grpc';
import { GreeterClient, type HelloReply } from './greeter.js';

const port = Number(process.env.PORT ?? 50051);
const serverId = SpiffeId.fromString('spiffe://example.org/grpc/server');

const source = await X509Source.create({ hint: 'grpc-client' });
const client = new GreeterClient(
  `127.0.0.1:${port}`,
  spiffeChannelCredentials(source, matchId(serverId)),
);

try {
  const reply = await new Promise<HelloReply | undefined>((resolve, reject) =>
    client.hello({ name: 'grpc example' }, (err, res) => (err ? reject(err) : resolve(res))),
  );
  console.log(`client (${source.getX509Svid().id}) got: ${reply?.message}`);
} finally {
  client.close();
  source.close();
}
