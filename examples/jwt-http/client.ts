// Fetches a JWT-SVID for the server's audience from the agent and calls the server with it, over
// TLS that authenticates the server's X509-SVID. Then shows a token for another audience refused.
import https from 'node:https';
import {
  BundleSource,
  bearerValue,
  JwtSource,
  matchId,
  SpiffeId,
  tlsClientOptions,
} from '@spire-ts/spiffe';

const port = Number(process.env.PORT ?? 8444);
const serverId = SpiffeId.fromString('spiffe://example.org/jwt-http/server');
const clientId = SpiffeId.fromString('spiffe://example.org/jwt-http/client');

const bundles = await BundleSource.create();
const jwt = await JwtSource.create({ client: bundles.client });
const tls = tlsClientOptions(bundles, matchId(serverId));

function call(authorization: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = https.get(
      { host: '127.0.0.1', port, path: '/', agent: false, ...tls, headers: { authorization } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => resolve(`${res.statusCode} ${text.trim()}`));
      },
    );
    req.on('error', reject);
  });
}

try {
  const good = await jwt.fetchJwtSvid({ audience: [serverId.toString()], subject: clientId });
  console.log(`client: for the server's audience -> ${await call(bearerValue(good))}`);

  const other = await jwt.fetchJwtSvid({
    audience: ['spiffe://example.org/someone-else'],
    subject: clientId,
  });
  console.log(`client: for another audience    -> ${await call(bearerValue(other))}`);
} finally {
  jwt.close();
  bundles.close();
}
