import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../../src/common/clock/fake-clock.js';
import {
  JoinTokenAttestor,
  type JoinTokenStore,
} from '../../../../src/server/plugin/nodeattestor/join_token/join-token.js';

function memoryStore(tokens: Record<string, number>): JoinTokenStore {
  const map = new Map(Object.entries(tokens));
  return {
    async takeJoinToken(token) {
      const expiresAt = map.get(token);
      if (expiresAt === undefined) return undefined;
      map.delete(token);
      return { token, expiresAt };
    },
  };
}

const noExchange = async () => {
  throw new Error('join_token sends no challenge');
};

describe('join_token node attestor (reference §3.8)', () => {
  const clock = new FakeClock(Date.UTC(2030, 0, 1));
  const nowS = clock.now() / 1000;

  it('names the agent after the token and yields no selectors', async () => {
    const attestor = new JoinTokenAttestor({
      trustDomain: 'example.org',
      store: memoryStore({ abc: nowS + 600 }),
      clock,
    });
    expect(await attestor.attest(Buffer.from('abc'), noExchange)).toEqual({
      agentId: 'spiffe://example.org/spire/agent/join_token/abc',
      selectors: [],
      canReattest: false,
    });
  });

  it('is single use: the second attempt with the same token is refused', async () => {
    const attestor = new JoinTokenAttestor({
      trustDomain: 'example.org',
      store: memoryStore({ once: nowS + 600 }),
      clock,
    });
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, () => attestor.attest(Buffer.from('once'), noExchange)),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const refused = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    expect(refused.map((r) => r.reason.message)).toEqual(
      Array(4).fill('failed to attest: join token does not exist or has already been used'),
    );
  });

  it('refuses an expired token, and it stays consumed', async () => {
    const store = memoryStore({ old: nowS });
    const attestor = new JoinTokenAttestor({ trustDomain: 'example.org', store, clock });
    await expect(attestor.attest(Buffer.from('old'), noExchange)).rejects.toMatchObject({
      kind: 'invalid_argument',
      message: 'join token expired',
    });
    await expect(attestor.attest(Buffer.from('old'), noExchange)).rejects.toMatchObject({
      message: 'failed to attest: join token does not exist or has already been used',
    });
  });

  it('refuses empty tokens and tokens that cannot form a SPIFFE ID path segment', async () => {
    const attestor = new JoinTokenAttestor({
      trustDomain: 'example.org',
      store: memoryStore({ 'a/b': nowS + 600 }),
      clock,
    });
    await expect(attestor.attest(Buffer.alloc(0), noExchange)).rejects.toMatchObject({
      message: 'join token is empty',
    });
    await expect(attestor.attest(Buffer.from('a/b'), noExchange)).rejects.toMatchObject({
      kind: 'invalid_argument',
      message: 'join token has characters other than letters, digits, ".", "_" and "-"',
    });
  });

  it('takes no plugin_data', () => {
    expect(
      () =>
        new JoinTokenAttestor({
          trustDomain: 'example.org',
          store: memoryStore({}),
          clock,
          pluginData: { ttl: 1 },
        }),
    ).toThrow('join_token: unknown plugin_data key "ttl"; known keys are none');
  });
});
