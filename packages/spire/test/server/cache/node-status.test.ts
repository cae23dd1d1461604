import { describe, expect, it } from 'vitest';
import { AuthorizedEntriesCache } from '../../../src/server/cache/authorized-entries.js';
import {
  type NodeStatus,
  NodeStatusCache,
  nodeStatusOf,
  normalizeSerial,
} from '../../../src/server/cache/node-status.js';

const AGENT = 'spiffe://example.org/spire/agent/join_token/t1';
const ACTIVE = nodeStatusOf({
  certSerialNumber: '0A1b',
  newCertSerialNumber: '',
  newCertNotAfter: 0,
});

/** A loader that counts its calls and answers `status`. */
function loader(status: NodeStatus | undefined) {
  const calls: string[] = [];
  const load = async (id: string) => {
    calls.push(id);
    return status;
  };
  return { calls, load };
}

describe('nodeStatusOf (reference §3.8 record fields)', () => {
  it.each([
    [
      'an active node: serials normalised to lower-case hex without leading zeros',
      { certSerialNumber: '00:0A:1B', newCertSerialNumber: '0C', newCertNotAfter: 7 },
      {
        banned: false,
        serial: 'a1b',
        newSerial: 'c',
        newCertSerialNumber: '0C',
        newCertNotAfter: 7,
      },
    ],
    [
      'a banned node: empty current serial',
      { certSerialNumber: '', newCertSerialNumber: '', newCertNotAfter: 0 },
      { banned: true, serial: '', newSerial: '', newCertSerialNumber: '', newCertNotAfter: 0 },
    ],
  ])('%s', (_name, node, want) => {
    expect(nodeStatusOf(node)).toEqual(want);
  });

  it('normalizeSerial keeps a zero serial as "0"', () => {
    expect([normalizeSerial('00'), normalizeSerial('0:0')]).toEqual(['0', '0']);
  });
});

describe('NodeStatusCache', () => {
  it('reads the datastore once, then answers from memory', async () => {
    const cache = new NodeStatusCache();
    const { calls, load } = loader(ACTIVE);

    expect(await cache.get(AGENT, load)).toEqual(ACTIVE);
    expect(await cache.get(AGENT, load)).toEqual(ACTIVE);
    expect(calls).toEqual([AGENT]);
  });

  it('remembers that a node has no record (not attested) until a change is heard', async () => {
    const cache = new NodeStatusCache();
    const { calls, load } = loader(undefined);

    expect(await cache.get(AGENT, load)).toBeUndefined();
    expect(await cache.get(AGENT, load)).toBeUndefined();
    cache.invalidate(AGENT);
    await cache.get(AGENT, load);
    expect(calls).toEqual([AGENT, AGENT]);
  });

  it('does not keep a read that a change overtook (the stale record is not cached)', async () => {
    const cache = new NodeStatusCache();
    let release: (s: NodeStatus) => void = () => {};
    const slow = () => new Promise<NodeStatus>((resolve) => (release = resolve));

    const pending = cache.get(AGENT, slow);
    cache.invalidate(AGENT); // e.g. a ban committed while the read was in flight
    release(ACTIVE);
    await pending;

    const { calls, load } = loader(undefined);
    expect(await cache.get(AGENT, load)).toBeUndefined();
    expect(calls).toEqual([AGENT]);
  });

  it('reads a record again once it reaches maxAgeMs, though no change was heard', async () => {
    let now = 1_000;
    const cache = new NodeStatusCache({ maxAgeMs: 30_000, now: () => now });
    const { calls, load } = loader(ACTIVE);

    await cache.get(AGENT, load);
    now += 29_999;
    await cache.get(AGENT, load);
    now += 1;
    await cache.get(AGENT, load);
    expect(calls).toEqual([AGENT, AGENT]);
  });

  it('concurrent misses share one read and get the same status object', async () => {
    const cache = new NodeStatusCache();
    const { calls, load } = loader(
      nodeStatusOf({ certSerialNumber: 'a', newCertSerialNumber: '', newCertNotAfter: 0 }),
    );

    const got = await Promise.all([cache.get(AGENT, load), cache.get(AGENT, load)]);

    expect(calls).toEqual([AGENT]);
    expect(got[0]).toBe(got[1]);
  });

  it('drops the oldest record past maxRecords', async () => {
    const cache = new NodeStatusCache({ maxRecords: 2 });
    const { calls, load } = loader(ACTIVE);
    for (const id of ['a', 'b', 'c']) await cache.get(id, load);

    expect(cache.size).toBe(2);
    await cache.get('a', load);
    expect(calls).toEqual(['a', 'b', 'c', 'a']);
  });
});

describe('AuthorizedEntriesCache clears node statuses on node changes', () => {
  it.each([
    [
      'setAgent (attested, renewed, selectors changed)',
      (c: AuthorizedEntriesCache) => c.setAgent(AGENT, []),
    ],
    ['removeAgent (banned, evicted, pruned)', (c: AuthorizedEntriesCache) => c.removeAgent(AGENT)],
  ])('%s', async (_name, change) => {
    const cache = new AuthorizedEntriesCache({ serverId: 'spiffe://example.org/spire/server' });
    const { calls, load } = loader(ACTIVE);
    await cache.nodeStatus.get(AGENT, load);

    change(cache);
    await cache.nodeStatus.get(AGENT, load);

    expect(calls).toEqual([AGENT, AGENT]);
  });
});
