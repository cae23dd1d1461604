import { TrustDomain } from '@spire-ts/spiffe';
import { afterEach, describe, expect, it } from 'vitest';
import { bundleFromProto } from '../../../src/agent/client/bundle.js';
import { CacheManager } from '../../../src/agent/manager/manager.js';
import { FakeClock } from '../../../src/common/clock/index.js';
import { createLogger } from '../../../src/common/log/index.js';
import { RemoteServerApi } from '../runtime/remote-server-api.js';
import { ids, leafOf, sel } from './support.js';

// The memory bench (bench/agent-memory.bench.ts) syncs against a server in a child process, so
// the agent side receives only wire bytes; this checks that such a sync is a real one.
describe('CacheManager synced with a server in another process', () => {
  let server: RemoteServerApi | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('caches the entries it sends and SVIDs it signs, chained to its bundle', async () => {
    server = await RemoteServerApi.start();
    expect(
      await server.put([
        { id: 'e1', spiffeId: 'spiffe://example.org/a', selectors: ['unix:uid:1000'] },
        { id: 'e2', spiffeId: 'spiffe://example.org/b', selectors: ['unix:uid:1000'] },
        { id: 'e3', spiffeId: 'spiffe://example.org/c', selectors: ['unix:uid:1'] },
      ]),
    ).toBe(3);
    const remote = server;
    const bundle = bundleFromProto(
      await remote.fetchBundle(),
      TrustDomain.fromString('example.org'),
    );
    const { logger } = createLogger({ level: 'error', stream: { write: () => true } });
    const manager = new CacheManager({
      api: () => remote,
      bundle,
      clock: new FakeClock(),
      log: logger,
      syncIntervalMs: 5000,
      keyType: 'ec-p256',
      x509SvidCacheMaxSize: 1000,
      jwtSvidCacheMaxSize: 1000,
      jwtCacheHitTimeoutMs: 30_000,
    });

    await manager.synchronize();

    expect([...manager.cache.entries().keys()].sort()).toEqual(['e1', 'e2', 'e3']);
    expect(manager.cache.svids().size).toBe(3);
    expect(remote.x509Calls).toBe(1);
    const state = manager.snapshot(sel('unix:uid:1000'));
    expect(ids(state)).toEqual(['spiffe://example.org/a', 'spiffe://example.org/b']);
    const leaf = leafOf(state.identities[0]);
    expect(leaf?.subjectAltName).toBe('URI:spiffe://example.org/a');
    const [root] = bundle.x509Authorities();
    expect(root && leaf?.verify(root.publicKey)).toBe(true);

    // A second sync finds every entry unchanged: nothing fetched again, nothing re-minted.
    await manager.synchronize();
    expect(remote.x509Calls).toBe(1);
    expect(manager.snapshot(sel('unix:uid:1000')).identities[0]).toBe(state.identities[0]);
  });

  it('refuses the calls the server process does not serve, naming them', async () => {
    server = await RemoteServerApi.start();
    await expect(server.newJwtSvid()).rejects.toThrow('the server process does not mint JWT-SVIDs');
    await expect(server.renewAgent()).rejects.toThrow(
      'the server process does not renew agent SVIDs',
    );
  });
});
