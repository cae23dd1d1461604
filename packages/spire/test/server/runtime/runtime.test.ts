import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/common/config/index.js';
import { createLogger } from '../../../src/common/log/index.js';
import { buildServerConfig } from '../../../src/server/config/index.js';
import { startServer } from '../../../src/server/server.js';

const dir = mkdtempSync(join(tmpdir(), 'spire-restart-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Any port is fine for this test; the config refuses 0.
const port = 20_000 + (process.pid % 20_000);
const config = () =>
  buildServerConfig(
    parseConfigText(
      `server {
        trust_domain = "example.org"
        data_dir = "${dir}/data"
        bind_address = "127.0.0.1"
        bind_port = "${port}"
        socket_path = "${dir}/api.sock"
      }
      plugins {
        DataStore "sql" { plugin_data { database_type = "sqlite3" connection_string = "${dir}/data/ds.sqlite3" } }
        KeyManager "disk" { plugin_data { keys_path = "${dir}/data/keys.json" } }
        NodeAttestor "join_token" { plugin_data {} }
      }`,
      join(dir, 'server.conf'),
    ),
  );
const log = createLogger({ stream: { write: () => undefined } }).logger;

describe('server restart over the same data_dir (disk KeyManager, sqlite)', () => {
  it('keeps every entry, the active CA and the stored bundle', async () => {
    const first = await startServer(config(), { log });
    const entry = await first.ctx.datastore.createEntry({
      spiffeId: 'spiffe://example.org/myservice',
      parentId: 'spiffe://example.org/myagent',
      selectors: [{ type: 'unix', value: 'uid:1000' }],
    });
    const ca = first.ctx.ca.activeX509()?.chain[0];
    const seq = (await first.ctx.datastore.fetchBundle('example.org'))?.sequenceNumber;
    await first.close();

    const second = await startServer(config(), { log });
    try {
      expect(second.ctx.ca.activeX509()?.chain[0]).toEqual(ca);
      expect(await second.ctx.datastore.fetchEntry(entry.id)).toEqual(entry);
      expect(second.ctx.entries.getEntry(entry.id)).toEqual(entry);
      expect((await second.ctx.datastore.fetchBundle('example.org'))?.sequenceNumber).toBe(seq);
    } finally {
      await second.close();
    }
  }, 30_000);
});
