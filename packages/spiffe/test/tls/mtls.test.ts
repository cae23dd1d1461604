import { once } from 'node:events';
import http2 from 'node:http2';
import https from 'node:https';
import type tls from 'node:tls';
import {
  type Authorizer,
  authorizeIf,
  createMtlsAgent,
  createMtlsHttp2Server,
  createMtlsHttpsServer,
  createMtlsServer,
  matchAny,
  matchId,
  matchMemberOf,
  matchOneOf,
  mtlsClientOptions,
  peerSpiffeId,
  SpiffeId,
  TrustDomain,
  X509Svid,
} from '@spire-ts/spiffe';
import { afterEach, describe, expect, it } from 'vitest';
import { createLeaf } from '../support/certs.js';
import { trustDomain } from '../workloadapi/support.js';
import { bundlesOf, connect, echo, listen, MutableSource, svidFor } from './support.js';

const td = trustDomain('example.org');
const fed = trustDomain('other.org');
const serverId = SpiffeId.fromString('spiffe://example.org/server');
const clientId = SpiffeId.fromString('spiffe://example.org/client');

const servers: { close(): void }[] = [];
const sockets: tls.TLSSocket[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const s of servers.splice(0)) s.close();
});

function echoServer(source: MutableSource, authorize = matchAny()) {
  const seen: string[] = [];
  const refusals: Error[] = [];
  const server = createMtlsServer({ source, authorize }, (socket) => {
    seen.push(peerSpiffeId(socket).toString());
    socket.pipe(socket);
  });
  server.on('tlsClientError', (err) => refusals.push(err));
  servers.push(server);
  return { server, seen, refusals };
}

async function dial(
  port: number,
  source: MutableSource,
  authorize: Authorizer = matchId(serverId),
) {
  const socket = await connect(port, mtlsClientOptions(source, authorize));
  sockets.push(socket);
  return socket;
}

describe('SPIFFE mTLS over node:tls', () => {
  it('authenticates both sides and exposes each peer id', async () => {
    const { server, seen } = echoServer(new MutableSource(svidFor(td, '/server'), bundlesOf(td)));
    const port = await listen(server);

    const socket = await dial(port, new MutableSource(svidFor(td, '/client'), bundlesOf(td)));

    expect(await echo(socket, 'ping')).toBe('ping');
    expect(peerSpiffeId(socket).toString()).toBe(serverId.toString());
    expect(seen).toEqual([clientId.toString()]);
  });

  it('peerSpiffeId answers every time on a client socket (Node 20 consumes getPeerX509Certificate)', async () => {
    const { server } = echoServer(new MutableSource(svidFor(td, '/server'), bundlesOf(td)));
    const port = await listen(server);
    const socket = await dial(port, new MutableSource(svidFor(td, '/client'), bundlesOf(td)));

    const answers = [peerSpiffeId(socket), peerSpiffeId(socket), peerSpiffeId(socket)];

    expect(answers.map(String)).toEqual(Array(3).fill(serverId.toString()));
  });

  it.each([
    ['one id', matchId(serverId), true],
    ['one of', matchOneOf(SpiffeId.fromString('spiffe://example.org/x'), serverId), true],
    ['member of', matchMemberOf(TrustDomain.fromString('example.org')), true],
    [
      'custom',
      authorizeIf((id) => id.path.startsWith('/serv'), 'path must start with /serv'),
      true,
    ],
    ['member of another trust domain', matchMemberOf(TrustDomain.fromString('other.org')), false],
    ['another id', matchId(SpiffeId.fromString('spiffe://example.org/db')), false],
  ])('client authorizer "%s" accepts the server: %s', async (_n, authorize, ok) => {
    const { server } = echoServer(new MutableSource(svidFor(td, '/server'), bundlesOf(td)));
    const port = await listen(server);

    const result = dial(port, new MutableSource(svidFor(td, '/client'), bundlesOf(td)), authorize);

    if (ok) await expect(result).resolves.toBeDefined();
    else await expect(result).rejects.toMatchObject({ code: 'ERR_TLS_PEER_UNAUTHORIZED' });
  });

  it('refuses an unauthorized server with an error naming its id and the rule', async () => {
    const { server } = echoServer(new MutableSource(svidFor(td, '/server'), bundlesOf(td)));
    const port = await listen(server);

    const result = dial(
      port,
      new MutableSource(svidFor(td, '/client'), bundlesOf(td)),
      matchId(clientId),
    );

    await expect(result).rejects.toMatchObject({
      code: 'ERR_TLS_PEER_UNAUTHORIZED',
      message:
        'server spiffe://example.org/server is not authorized: unexpected spiffe id spiffe://example.org/server: expected spiffe://example.org/client',
    });
  });

  it('refuses an unauthorized client: socket closed, tlsClientError names the id and rule', async () => {
    const { server, refusals, seen } = echoServer(
      new MutableSource(svidFor(td, '/server'), bundlesOf(td)),
      matchId(SpiffeId.fromString('spiffe://example.org/only-this')),
    );
    const port = await listen(server);

    const socket = await connect(
      port,
      mtlsClientOptions(new MutableSource(svidFor(td, '/client'), bundlesOf(td)), matchAny()),
    ).catch((e: Error) => e);
    if (!(socket instanceof Error)) {
      sockets.push(socket);
      await expect(echo(socket, 'ping')).rejects.toThrow('socket closed before the echo');
    }

    expect(seen).toEqual([]);
    expect(refusals.map((e) => [(e as { code?: string }).code, e.message])).toEqual([
      [
        'ERR_TLS_PEER_UNAUTHORIZED',
        'client spiffe://example.org/client is not authorized: unexpected spiffe id spiffe://example.org/client: expected spiffe://example.org/only-this',
      ],
    ]);
  });

  it('verifies against the bundle of the peer own trust domain, never the pool (Workload API §4.6, C12)', async () => {
    // other.org's id signed by example.org's CA: OpenSSL's union of anchors accepts it, SPIFFE must not.
    const forged = createLeaf(td.ca, { uris: ['spiffe://other.org/server'] });
    const serverSource = new MutableSource(
      X509Svid.parse(forged.der, forged.privateKey),
      bundlesOf(td, fed),
    );
    const { server } = echoServer(serverSource);
    const port = await listen(server);

    const result = dial(
      port,
      new MutableSource(svidFor(td, '/client'), bundlesOf(td, fed)),
      matchAny(),
    );

    await expect(result).rejects.toMatchObject({ code: 'ERR_TLS_PEER_UNVERIFIED' });
    await expect(result).rejects.toThrow(/^server certificate is not a trusted x509-svid: /);
  });

  it('trusts a federated server through its own bundle (C26)', async () => {
    const { server } = echoServer(new MutableSource(svidFor(fed, '/server'), bundlesOf(fed, td)));
    const port = await listen(server);

    const socket = await dial(
      port,
      new MutableSource(svidFor(td, '/client'), bundlesOf(td, fed)),
      matchAny(),
    );

    expect(peerSpiffeId(socket).toString()).toBe('spiffe://other.org/server');
  });
});

describe('rotation', () => {
  it('new connections get the new svid without restarting or dropping open connections', async () => {
    const source = new MutableSource(svidFor(td, '/server'), bundlesOf(td));
    const { server } = echoServer(source);
    const port = await listen(server);
    const client = new MutableSource(svidFor(td, '/client'), bundlesOf(td));
    const before = await dial(port, client);
    const oldSerial = before.getPeerX509Certificate()?.serialNumber;

    source.svid = svidFor(td, '/server');
    const after = await dial(port, client);

    expect(after.getPeerX509Certificate()?.serialNumber).not.toBe(oldSerial);
    expect(await echo(before, 'still here')).toBe('still here');
    expect(await echo(after, 'new')).toBe('new');
  });
});

describe('https and http2', () => {
  it('serves https to an mTLS agent and tells the handler who called', async () => {
    const source = new MutableSource(svidFor(td, '/server'), bundlesOf(td));
    const server = createMtlsHttpsServer({ source, authorize: matchAny() }, (req, res) => {
      res.end(peerSpiffeId(req.socket as tls.TLSSocket).toString());
    });
    servers.push(server);
    const port = await listen(server);
    const agent = createMtlsAgent(
      new MutableSource(svidFor(td, '/client'), bundlesOf(td)),
      matchId(serverId),
    );

    const body = await new Promise<string>((resolve, reject) => {
      https
        .get({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
          let data = '';
          res.on('data', (d) => {
            data += d;
          });
          res.on('end', () => resolve(data));
        })
        .on('error', reject);
    });
    agent.destroy();

    expect(body).toBe(clientId.toString());
  });

  it('serves http2 to an http2.connect client with SPIFFE options', async () => {
    const source = new MutableSource(svidFor(td, '/server'), bundlesOf(td));
    const server = createMtlsHttp2Server({ source, authorize: matchAny() }, (req, res) => {
      res.end(peerSpiffeId(req.socket as unknown as tls.TLSSocket).toString());
    });
    servers.push(server);
    const port = await listen(server as unknown as tls.Server);
    const session = http2.connect(
      `https://127.0.0.1:${port}`,
      mtlsClientOptions(
        new MutableSource(svidFor(td, '/client'), bundlesOf(td)),
        matchId(serverId),
      ),
    );

    const req = session.request({ ':path': '/' });
    req.setEncoding('utf8');
    let body = '';
    req.on('data', (d) => {
      body += d;
    });
    await once(req, 'end');
    session.close();

    expect(body).toBe(clientId.toString());
  });
});
