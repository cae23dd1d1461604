import * as grpc from '@grpc/grpc-js';
import {
  type Authorizer,
  authorizeIf,
  BundleSet,
  matchAny,
  matchId,
  matchMemberOf,
  matchOneOf,
  SpiffeId,
  TrustDomain,
  X509Bundle,
  X509Svid,
} from '@spire-ts/spiffe';
import { afterEach, describe, expect, it } from 'vitest';
import {
  callerSpiffeId,
  spiffeChannelCredentials,
  spiffeServerCredentials,
} from '../../src/grpc/index.js';
import { createIntermediate, createLeaf } from '../support/certs.js';
import { bundlesOf, svidFor } from '../tls/support.js';
import { trustDomain } from '../workloadapi/support.js';
import {
  type EchoClient,
  type EchoServer,
  echo,
  echoClient,
  nextMessage,
  RotatingSource,
  startEchoServer,
  until,
} from './support.js';

const td = trustDomain('example.org');
const fed = trustDomain('other.org');
const serverId = SpiffeId.fromString('spiffe://example.org/server');
const clientId = SpiffeId.fromString('spiffe://example.org/client');

const servers: grpc.Server[] = [];
const clients: grpc.Client[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
  for (const s of servers.splice(0)) s.forceShutdown();
});

async function serve(
  source: RotatingSource = new RotatingSource(svidFor(td, '/server'), bundlesOf(td)),
  authorize: Authorizer = matchAny(),
): Promise<EchoServer> {
  const started = await startEchoServer(spiffeServerCredentials(source, authorize), (call) =>
    callerSpiffeId(call).toString(),
  );
  servers.push(started.server);
  return started;
}

function dial(
  port: number,
  source: RotatingSource = new RotatingSource(svidFor(td, '/client'), bundlesOf(td)),
  authorize: Authorizer = matchId(serverId),
): EchoClient {
  const client = echoClient(port, spiffeChannelCredentials(source, authorize));
  clients.push(client);
  return client;
}

/** An SVID for `spiffe://<idTd><path>` signed by `signer`'s CA (possibly another trust domain). */
function svidSignedBy(signer: typeof td, id: string): X509Svid {
  const cert = createLeaf(signer.ca, { uris: [id] });
  return X509Svid.parse(cert.der, cert.privateKey);
}

describe('grpc-js SPIFFE mTLS credentials', () => {
  it('authenticates both sides and shows the handler the caller id', async () => {
    const { port, callers } = await serve();

    expect(await echo(dial(port), 'hi')).toBe('hi');
    expect(callers).toEqual([clientId.toString()]);
  });

  it.each<[string, Authorizer, string | null]>([
    ['one id', matchId(serverId), null],
    ['one of', matchOneOf(SpiffeId.fromString('spiffe://example.org/x'), serverId), null],
    ['member of', matchMemberOf(TrustDomain.fromString('example.org')), null],
    [
      'wrong id',
      matchId(SpiffeId.fromString('spiffe://example.org/db')),
      'server spiffe://example.org/server is not authorized: unexpected spiffe id spiffe://example.org/server: expected spiffe://example.org/db',
    ],
    [
      'custom refusing',
      authorizeIf(() => false, 'never'),
      'server spiffe://example.org/server is not authorized: unexpected spiffe id spiffe://example.org/server: never',
    ],
  ])(
    'client authorizer %s decides whether the call goes out',
    async (_name, authorize, refusal) => {
      const { port, callers } = await serve();
      const call = echo(dial(port, undefined, authorize), 'hi');

      if (refusal === null) {
        expect(await call).toBe('hi');
      } else {
        const err = (await call.catch((e) => e)) as grpc.ServiceError;
        expect(err.code).toBe(grpc.status.UNAVAILABLE);
        expect(err.details).toContain(refusal);
        expect(callers).toEqual([]);
      }
    },
  );

  it('server answers PERMISSION_DENIED naming an unauthorized client, handler not run', async () => {
    const only = SpiffeId.fromString('spiffe://example.org/only');
    const { port, callers } = await serve(undefined, matchId(only));

    const err = (await echo(dial(port), 'hi').catch((e) => e)) as grpc.ServiceError;

    expect(err.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(err.details).toBe(
      'client spiffe://example.org/client is not authorized: unexpected spiffe id spiffe://example.org/client: expected spiffe://example.org/only',
    );
    expect(callers).toEqual([]);
  });

  it('server answers UNAUTHENTICATED to a client signed by another trust domain (Workload API §4.6)', async () => {
    // OpenSSL accepts it (example.org's CA is in the union of bundles); the SPIFFE check must not.
    const source = new RotatingSource(svidFor(td, '/server'), bundlesOf(td, fed));
    const { port, callers } = await serve(source);
    const forged = svidSignedBy(td, 'spiffe://other.org/client');

    const err = (await echo(dial(port, new RotatingSource(forged, bundlesOf(td))), 'hi').catch(
      (e) => e,
    )) as grpc.ServiceError;

    expect(err.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(err.details).toMatch(/^client certificate is not a trusted x509-svid: /);
    expect(callers).toEqual([]);
  });

  it('client refuses a server signed by another trust domain (Workload API §4.6)', async () => {
    const forged = svidSignedBy(td, 'spiffe://other.org/server');
    const { port } = await serve(new RotatingSource(forged, bundlesOf(td)));

    const client = dial(
      port,
      new RotatingSource(svidFor(td, '/client'), bundlesOf(td, fed)),
      matchAny(),
    );
    const err = (await echo(client, 'hi').catch((e) => e)) as grpc.ServiceError;

    expect(err.code).toBe(grpc.status.UNAVAILABLE);
    expect(err.details).toContain('server certificate is not a trusted x509-svid: ');
  });

  it('a client of an untrusted trust domain fails the handshake', async () => {
    const { port, callers } = await serve();
    const stranger = new RotatingSource(svidFor(fed, '/client'), bundlesOf(td));

    const err = (await echo(dial(port, stranger), 'hi').catch((e) => e)) as grpc.ServiceError;

    expect(err.code).toBe(grpc.status.UNAVAILABLE);
    expect(callers).toEqual([]);
  });

  it('server verifies a client chain with an intermediate (the full chain, not the leaf only)', async () => {
    const intermediate = createIntermediate(td.ca);
    const cert = createLeaf(intermediate, { uris: ['spiffe://example.org/deep'] });
    const chained = X509Svid.parse(Buffer.concat([cert.der, intermediate.der]), cert.privateKey);
    const { port, callers } = await serve();

    expect(await echo(dial(port, new RotatingSource(chained, bundlesOf(td))), 'hi')).toBe('hi');
    expect(callers).toEqual(['spiffe://example.org/deep']);
  });

  it('server re-checks an open connection when its bundles change', async () => {
    const source = new RotatingSource(svidFor(td, '/server'), bundlesOf(td));
    const { port, callers } = await serve(source);
    const client = dial(port);
    expect(await echo(client, 'one')).toBe('one');

    // The server stops trusting example.org's CA (only its own leaf stays): same connection.
    const onlyFed = new BundleSet([
      X509Bundle.fromDer(TrustDomain.fromString('other.org'), fed.ca.der),
    ]);
    source.rotate(source.getX509Svid(), onlyFed);
    const err = (await echo(client, 'two').catch((e) => e)) as grpc.ServiceError;

    expect(err.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(err.details).toBe(
      'client certificate is not a trusted x509-svid: no x509 bundle for trust domain "example.org" of leaf spiffe id "spiffe://example.org/client"',
    );
    expect(callers).toEqual([clientId.toString()]);
  });

  it('server rotation reaches new connections without dropping an open stream', async () => {
    const source = new RotatingSource(svidFor(td, '/server'), bundlesOf(td));
    const { port, watchers } = await serve(source);
    const serials: string[] = [];
    const recordSerial = authorizeIf((_id, chain) => {
      serials.push(chain[0]?.serialNumber ?? '');
      return true;
    }, 'records');
    const stream = dial(port, undefined, recordSerial).watch(Buffer.from('w'));
    await until(() => watchers.length === 1);
    const first = watchers[0] as grpc.ServerWritableStream<Buffer, Buffer>;
    first.write(Buffer.from('before'));
    expect(await nextMessage(stream)).toBe('before');

    const next = svidFor(td, '/server');
    source.rotate(next);
    expect(await echo(dial(port, undefined, recordSerial), 'new')).toBe('new');
    first.write(Buffer.from('after'));

    expect(await nextMessage(stream)).toBe('after');
    const ended = new Promise<grpc.StatusObject>((resolve) => stream.on('status', resolve));
    stream.resume();
    first.end();
    expect((await ended).code).toBe(grpc.status.OK);
    expect(serials).toEqual([serials[0], next.certificates[0]?.serialNumber]);
    expect(serials[0]).not.toBe(serials[1]);
  });

  it('client rotation reaches new channels', async () => {
    const { port, callers } = await serve();
    const source = new RotatingSource(svidFor(td, '/client'), bundlesOf(td));
    expect(await echo(dial(port, source), 'a')).toBe('a');

    source.rotate(svidFor(td, '/client-v2'));

    expect(await echo(dial(port, source), 'b')).toBe('b');
    expect(callers).toEqual(['spiffe://example.org/client', 'spiffe://example.org/client-v2']);
  });
});

describe('callerSpiffeId', () => {
  it.each([
    ['no auth context', null],
    ['plaintext call', {}],
    ['leaf never verified by the interceptor', { sslPeerCertificate: { fingerprint256: 'AA:BB' } }],
  ])('throws ERR_TLS_PEER_NOT_AUTHENTICATED for %s', (_name, context) => {
    expect(() => callerSpiffeId({ getAuthContext: () => context })).toThrow(
      expect.objectContaining({
        code: 'ERR_TLS_PEER_NOT_AUTHENTICATED',
        message: 'call peer was not authenticated by the spiffe server interceptor',
      }),
    );
  });
});
