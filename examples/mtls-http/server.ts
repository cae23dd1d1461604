// An HTTPS service that accepts only the SPIFFE ID of the example client, over SPIFFE mTLS.
// Its identity comes from the agent (SPIFFE_ENDPOINT_SOCKET) and rotates without a restart.
import type { TLSSocket } from 'node:tls';
import {
  createMtlsHttpsServer,
  matchId,
  peerSpiffeId,
  SpiffeId,
  X509Source,
} from '@spire-ts/spiffe';

const port = Number(process.env.PORT ?? 8443);
const clientId = SpiffeId.fromString('spiffe://example.org/mtls-http/client');

const source = await X509Source.create({ hint: 'mtls-server' });
source.on('updated', () => console.log(`server: rotated, now ${source.getX509Svid().id}`));

const server = createMtlsHttpsServer({ source, authorize: matchId(clientId) }, (req, res) => {
  const caller = peerSpiffeId(req.socket as TLSSocket);
  res.end(`hello ${caller}, this is ${source.getX509Svid().id}\n`);
});
server.on('tlsClientError', (err) => console.log(`server: refused a client: ${err.message}`));
server.listen(port, '127.0.0.1', () =>
  console.log(`server: ${source.getX509Svid().id} on https://127.0.0.1:${port}`),
);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    server.close();
    source.close();
  });
}
