import { describe, expect, it } from 'vitest';
import { RELEASE_MEMORY_AFTER_MINTED } from '../../../src/agent/manager/synchronizer.js';
import { makeManager } from './support.js';

function entries(count: number, from = 0) {
  return Array.from({ length: count }, (_, i) => ({
    id: `e${from + i}`,
    spiffeId: `spiffe://example.org/w${from + i}`,
    selectors: ['unix:uid:1000'],
  }));
}

describe('freed memory given back after a burst of minting (issue 4 agent memory)', () => {
  it(`releases once after a sync that minted ${RELEASE_MEMORY_AFTER_MINTED} SVIDs or more, not after smaller or empty syncs`, async () => {
    let releases = 0;
    const { api, manager } = await makeManager({ releaseFreedMemory: () => void releases++ });

    for (const e of entries(RELEASE_MEMORY_AFTER_MINTED - 1)) api.put(e);
    await manager.synchronize();
    expect(manager.cache.svids().size).toBe(RELEASE_MEMORY_AFTER_MINTED - 1);
    expect(releases).toBe(0);

    for (const e of entries(RELEASE_MEMORY_AFTER_MINTED, 1000)) api.put(e);
    await manager.synchronize();
    expect(manager.cache.svids().size).toBe(2 * RELEASE_MEMORY_AFTER_MINTED - 1);
    expect(releases).toBe(1);

    // Nothing to mint: the allocator keeps its free lists.
    await manager.synchronize();
    expect(releases).toBe(1);
  });
});
