import { Code, type ConnectError } from '@connectrpc/connect';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  Health,
  HealthCheckResponse_ServingStatus as Serving,
} from '../../../src/gen/grpc/health/v1/health_pb.js';
import { createHealthService } from '../../../src/server/api/health/index.js';
import { type ServerHarness, startServerHarness } from '../../support/server-harness.js';

let h: ServerHarness;
beforeEach(async () => {
  h = await startServerHarness({ services: (ctx) => [[Health, createHealthService(ctx)]] });
});
afterEach(() => h.close());

describe('grpc.health.v1.Health on the admin socket (reference §3.3)', () => {
  it('Check of the server ("") is SERVING while the datastore answers and a CA is active', async () => {
    expect((await h.local(Health).check({ service: '' })).status).toBe(Serving.SERVING);
  });

  it('Check of an unknown service is NotFound', async () => {
    const err = await h
      .local(Health)
      .check({ service: 'nope' })
      .catch((e: unknown) => e);
    expect((err as ConnectError).code).toBe(Code.NotFound);
  });

  it('Watch sends the current status first, then NOT_SERVING when the datastore goes away', async () => {
    const abort = new AbortController();
    const stream = h.local(Health).watch({ service: '' }, { signal: abort.signal });
    const it = stream[Symbol.asyncIterator]();
    expect((await it.next()).value?.status).toBe(Serving.SERVING);
    await h.datastore.close();
    const next = await it.next();
    expect(next.value?.status).toBe(Serving.NOT_SERVING);
    abort.abort();
  }, 20_000);

  it('is refused to a TLS caller (admin socket only)', async () => {
    const err = await h
      .anonymous(Health)
      .check({ service: '' })
      .catch((e: unknown) => e);
    expect((err as ConnectError).code).toBe(Code.PermissionDenied);
  });
});
