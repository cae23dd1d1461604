import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DiskKeyManager,
  MemoryKeyManager,
  parseDiskKeyManagerConfig,
} from '../../../src/agent/plugin/keymanager/index.js';
import { AgentStorage } from '../../../src/agent/storage/index.js';
import { FakeClock } from '../../../src/common/clock/index.js';
import { makeFakeCa } from '../runtime/fake-ca.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'agent-storage-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('AgentStorage', () => {
  it('round-trips the SVID, bundle and reattestable flag in SPIRE file names, mode 0600', async () => {
    const ca = await makeFakeCa({ clock: new FakeClock() });
    const storage = await AgentStorage.open(join(dir, 'data'));
    await storage.storeBundle([ca.root]);
    await storage.storeSvid([ca.root], true);

    const reopened = (await AgentStorage.open(join(dir, 'data'))).data();
    expect(reopened.svid.map((c) => c.fingerprint256)).toEqual([ca.root.fingerprint256]);
    expect(reopened.bundle.map((c) => c.fingerprint256)).toEqual([ca.root.fingerprint256]);
    expect(reopened.reattestable).toBe(true);
    for (const name of ['agent-data.json', 'agent_svid.der', 'bundle.der']) {
      expect((await stat(join(dir, 'data', name))).mode & 0o777).toBe(0o600);
    }
    expect(await readFile(join(dir, 'data', 'agent_svid.der'))).toEqual(ca.root.raw);
  });

  it('deleteSvid forgets the SVID and keeps the bundle', async () => {
    const ca = await makeFakeCa({ clock: new FakeClock() });
    const storage = await AgentStorage.open(dir);
    await storage.storeBundle([ca.root]);
    await storage.storeSvid([ca.root], false);
    await storage.deleteSvid();
    const data = (await AgentStorage.open(dir)).data();
    expect([data.svid.length, data.bundle.length]).toEqual([0, 1]);
  });

  it('a corrupt agent-data.json is ERR_AGENT_STORAGE_CORRUPT naming the file', async () => {
    await writeFile(join(dir, 'agent-data.json'), '{"svid": 3');
    await expect(AgentStorage.open(dir)).rejects.toMatchObject({
      code: 'ERR_AGENT_STORAGE_CORRUPT',
      message: expect.stringContaining('agent-data.json'),
    });
  });
});

describe('agent KeyManager plugins', () => {
  it('disk keeps keys in keys.json (0600) across instances', async () => {
    const config = parseDiskKeyManagerConfig({ directory: dir }, '/');
    const key = await new DiskKeyManager(config).generateKey('agent-svid-A', 'ec-p256');
    const again = await new DiskKeyManager(config).getKey('agent-svid-A');
    expect(again?.export({ format: 'der', type: 'pkcs8' })).toEqual(
      key.export({ format: 'der', type: 'pkcs8' }),
    );
    expect((await stat(join(dir, 'keys.json'))).mode & 0o777).toBe(0o600);
  });

  it.each([
    ['missing directory', {}, 'ERR_AGENT_KEYMANAGER_INVALID_CONFIG'],
    ['unknown key', { directory: '/x', keys_path: '/y' }, 'ERR_AGENT_KEYMANAGER_INVALID_CONFIG'],
  ])('disk plugin_data: %s is %s', (_n, data, code) => {
    expect(() => parseDiskKeyManagerConfig(data, '/')).toThrow(expect.objectContaining({ code }));
  });

  it('memory forgets keys with its instance and refuses plugin_data', async () => {
    await new MemoryKeyManager().generateKey('agent-svid-A', 'ec-p384');
    expect(await new MemoryKeyManager().getKey('agent-svid-A')).toBeUndefined();
    expect(() => new MemoryKeyManager({ directory: '/x' })).toThrow(
      expect.objectContaining({ code: 'ERR_AGENT_KEYMANAGER_INVALID_CONFIG' }),
    );
  });
});
