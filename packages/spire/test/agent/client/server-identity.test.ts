import { once } from 'node:events';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { TrustDomain } from '@spire-ts/spiffe';
import { afterEach, describe, expect, it } from 'vitest';
import { createCa, createLeaf, type TestCert } from '../../../../spiffe/test/support/certs.js';
import { serverTlsOptions } from '../../../src/agent/client/server-tls.js';

const TD = TrustDomain.fromString('example.org');
const servers: http2.Http2SecureServer[] = [];

afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

/** A TLS h2 server on loopback presenting `leaf` (and answering 200 to any request). */
async function serverPresenting(leaf: TestCert): Promise<number> {
  const server = http2.createSecureServer({
    cert: leaf.pem,
    key: leaf.privateKey.export({ format: 'pem', type: 'pkcs8' }),
    allowHTTP1: false,
  });
  server.on('stream', (stream) => stream.respond({ ':status': 200 }, { endStream: true }));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  servers.push(server);
  return (server.address() as AddressInfo).port;
}

/** Connects as the agent dials its server; resolves 'ok' or the TLS error's message. */
async function dial(port: number, authorities: TestCert[]): Promise<string> {
  const options = serverTlsOptions({
    trustDomain: TD,
    authorities: authorities.map((a) => a.cert),
  });
  const session = http2.connect(`https://127.0.0.1:${port}`, options);
  try {
    // events.once(session, 'connect') would reject on 'error': listen for both by hand.
    return await new Promise<string>((resolve) => {
      session.once('connect', () => resolve('ok'));
      session.once('error', (err: Error) => resolve(err.message));
    });
  } finally {
    session.destroy();
  }
}

describe('the agent authenticates its server (reference §3.8: spiffe://<td>/spire/server only)', () => {
  it('accepts the server SVID spiffe://example.org/spire/server chained to the bundle', async () => {
    const ca = createCa();
    const port = await serverPresenting(
      createLeaf(ca, { uris: ['spiffe://example.org/spire/server'] }),
    );
    expect(await dial(port, [ca])).toBe('ok');
  });

  it('refuses a valid SVID of the trust domain that is not the server’s ID', async () => {
    const ca = createCa();
    const port = await serverPresenting(
      createLeaf(ca, { uris: ['spiffe://example.org/workload'] }),
    );
    expect(await dial(port, [ca])).toBe(
      'server presented spiffe id "spiffe://example.org/workload", expected ' +
        '"spiffe://example.org/spire/server"',
    );
  });

  it('refuses a server ID from another trust domain signed by the bundle CA', async () => {
    const ca = createCa();
    const port = await serverPresenting(
      createLeaf(ca, { uris: ['spiffe://evil.org/spire/server'] }),
    );
    expect(await dial(port, [ca])).toBe(
      'no x509 bundle for trust domain "evil.org" of leaf spiffe id "spiffe://evil.org/spire/server"',
    );
  });

  it('refuses spiffe://example.org/spire/server signed by a CA outside the bundle', async () => {
    const ca = createCa();
    const other = createCa({ commonName: 'Other CA' });
    const port = await serverPresenting(
      createLeaf(other, { uris: ['spiffe://example.org/spire/server'] }),
    );
    expect(await dial(port, [ca])).toBe('unable to verify the first certificate');
  });
});
