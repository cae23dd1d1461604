// Calls the example server over SPIFFE mTLS, expecting the server's exact SPIFFE ID.
import https from 'node:https';
import { createMtlsAgent, matchId, SpiffeId, X509Source } from '@spire-ts/spiffe';

const port = Number(process.env.PORT ?? 8443);
const serverId = SpiffeId.fromString('spiffe://example.org/mtls-http/server');

const source = await X509Source.create({ hint: 'mtls-client' });
const agent = createMtlsAgent(source, matchId(serverId));

try {
  const body = await new Promise<string>((resolve, reject) => {
    const req = https.get({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => resolve(text));
    });
    req.on('error', reject);
  });
  console.log(`client (${source.getX509Svid().id}) got: ${body.trim()}`);
} finally {
  agent.destroy();
  source.close();
}
