import type { TLSSocket } from 'node:tls';
import {
  createMtlsHttpsServer,
  matchAny,
  matchId,
  mtlsConnector,
  peerSpiffeId,
  SpiffeId,
} from '@spire-ts/spiffe';
import { Agent, request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { trustDomain } from '../workloadapi/support.js';
import { bundlesOf, listen, MutableSource, svidFor } from './support.js';

// undici (the engine behind Node's fetch) with SPIFFE mTLS through mtlsConnector.
const td = trustDomain('example.org');
const serverId = SpiffeId.fromString('spiffe://example.org/server');

const closers: { close(): unknown }[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c.close();
});

async function serve(): Promise<number> {
  const source = new MutableSource(svidFor(td, '/server'), bundlesOf(td));
  const server = createMtlsHttpsServer({ source, authorize: matchAny() }, (req, res) => {
    res.end(`hello ${peerSpiffeId(req.socket as TLSSocket)}`);
  });
  closers.push(server);
  return listen(server);
}

function agentFor(source: MutableSource, authorize = matchId(serverId)): Agent {
  const agent = new Agent({ connect: mtlsConnector(source, authorize) });
  closers.push(agent);
  return agent;
}

describe('undici with mtlsConnector', () => {
  it('completes SPIFFE mTLS both ways', async () => {
    const port = await serve();
    const dispatcher = agentFor(new MutableSource(svidFor(td, '/client'), bundlesOf(td)));

    const res = await request(`https://127.0.0.1:${port}/`, { dispatcher });

    expect(res.statusCode).toBe(200);
    expect(await res.body.text()).toBe('hello spiffe://example.org/client');
  });

  it('fails the request with the refusal when the server id is not authorized', async () => {
    const port = await serve();
    const other = matchId(SpiffeId.fromString('spiffe://example.org/db'));
    const dispatcher = agentFor(new MutableSource(svidFor(td, '/client'), bundlesOf(td)), other);

    const err = await request(`https://127.0.0.1:${port}/`, { dispatcher }).catch((e) => e);

    expect(err).toMatchObject({
      code: 'ERR_TLS_PEER_UNAUTHORIZED',
      message:
        'server spiffe://example.org/server is not authorized: unexpected spiffe id spiffe://example.org/server: expected spiffe://example.org/db',
    });
  });

  it('a rotated client SVID reaches the next connection of the same agent', async () => {
    const port = await serve();
    const source = new MutableSource(svidFor(td, '/client'), bundlesOf(td));
    const dispatcher = agentFor(source);
    // reset: the connection closes after this request, so the next one needs a new handshake.
    const first = await request(`https://127.0.0.1:${port}/`, { dispatcher, reset: true });
    expect(await first.body.text()).toBe('hello spiffe://example.org/client');

    source.svid = svidFor(td, '/client-v2');
    const second = await request(`https://127.0.0.1:${port}/`, { dispatcher });

    expect(await second.body.text()).toBe('hello spiffe://example.org/client-v2');
  });
});
