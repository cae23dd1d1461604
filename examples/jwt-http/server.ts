// An HTTPS service that accepts only requests bearing a JWT-SVID for its own audience. TLS here
// authenticates the server only (JWT-SVID §5: tokens travel over a secure channel); callers prove
// who they are with the token, checked locally against the agent's JWT bundles.
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  createMtlsHttpsServer,
  isSpiffeError,
  JwtSource,
  SpiffeId,
  validateBearer,
  X509Source,
} from '@spire-ts/spiffe';

const port = Number(process.env.PORT ?? 8444);
const audience = SpiffeId.fromString('spiffe://example.org/jwt-http/server').toString();

const tls = await X509Source.create({ hint: 'jwt-server' });
const jwt = await JwtSource.create({ client: tls.client });

function handle(req: IncomingMessage, res: ServerResponse): void {
  try {
    const caller = validateBearer(req.headers, jwt, [audience]);
    res.end(`hello ${caller.id}, your token was for ${caller.audience.join(', ')}\n`);
  } catch (err) {
    // Typed SPIFFE errors name what was wrong with the token; anything else is our bug.
    if (!isSpiffeError(err)) throw err;
    res.writeHead(401, { 'www-authenticate': 'Bearer' });
    res.end(`${err.code}: ${err.message}\n`);
  }
}

// No `authorize`: the server presents its SVID but asks for no client certificate.
const server = createMtlsHttpsServer({ source: tls }, handle);
server.listen(port, '127.0.0.1', () =>
  console.log(`server: ${tls.getX509Svid().id} on https://127.0.0.1:${port}, audience ${audience}`),
);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    server.close();
    jwt.close();
    tls.close();
  });
}
