// A periodic rotation that fails (here: the journal write) is logged by the server and retried on
// the next tick; it must not reach EventEmitter's "unhandled error" throw and stop the process.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/common/clock/index.js';
import { parseConfigText } from '../../../src/common/config/index.js';
import { createLogger } from '../../../src/common/log/index.js';
import { type CaJournalRows, DatastoreCaJournalStore } from '../../../src/server/ca/index.js';
import { buildServerConfig } from '../../../src/server/config/index.js';
import {
  type DataStore,
  openSqlDataStore,
  parseSqlStoreConfig,
} from '../../../src/server/datastore/index.js';
import { MemoryKeyManager } from '../../../src/server/plugin/keymanager/index.js';
import { buildServerContext } from '../../../src/server/runtime/context.js';

const T0 = Date.UTC(2030, 0, 1);
const H = 3_600_000;

let dir: string;
let datastore: DataStore;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ca-rotation-errors-'));
  datastore = await openSqlDataStore(
    parseSqlStoreConfig({ database_type: 'sqlite3', connection_string: join(dir, 'ds.sqlite3') }),
  );
});
afterEach(async () => {
  await datastore.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('server CA rotation errors', () => {
  it('logs "CA rotation failed" with the cause and keeps the active CA; the next tick recovers', async () => {
    const config = buildServerConfig(
      parseConfigText(
        `server {
          trust_domain = "example.org"
          data_dir = "${dir}"
          bind_address = "127.0.0.1"
          bind_port = "8081"
          socket_path = "${dir}/api.sock"
          ca_ttl = "24h"
        }
        plugins {
          DataStore "sql" { plugin_data { database_type = "sqlite3" connection_string = "${dir}/ds.sqlite3" } }
          KeyManager "memory" { plugin_data {} }
          NodeAttestor "join_token" { plugin_data {} }
        }`,
        join(dir, 'server.conf'),
      ),
    );
    const lines: string[] = [];
    const log = createLogger({
      level: 'debug',
      format: 'json',
      stream: { write: (l: string) => lines.push(l) },
    }).logger;
    let failing = false;
    const rows: CaJournalRows = {
      setCaJournal: async (j) => {
        if (failing) throw new Error('database is read-only');
        return datastore.setCaJournal(j);
      },
      fetchCaJournal: (id) => datastore.fetchCaJournal(id),
      listCaJournals: () => datastore.listCaJournals(),
      deleteCaJournal: (id) => datastore.deleteCaJournal(id),
    };
    const clock = new FakeClock(T0);
    const built = await buildServerContext({
      config,
      clock,
      log,
      datastore,
      keyManager: new MemoryKeyManager(),
      journal: new DatastoreCaJournalStore({ datastore: rows }),
      nodeAttestors: new Map(),
      rotationIntervalMs: 4 * H,
    });
    try {
      const ca = built.ctx.ca;
      const active = ca.activeX509()?.chain[0];
      failing = true;
      clock.set(T0 + 12 * H); // the 12 h tick prepares the next CA: its write fails
      await expect.poll(() => lines.some((l) => l.includes('CA rotation failed'))).toBe(true);
      const entry = JSON.parse(lines.find((l) => l.includes('CA rotation failed')) ?? '{}');
      expect([entry.level, entry.msg, entry.subsystem_name, entry.error]).toEqual([
        'error',
        'CA rotation failed',
        'ca_manager',
        'database is read-only',
      ]);
      expect(ca.activeX509()?.chain[0]).toEqual(active);
      expect(ca.preparedX509()).toBeUndefined();

      failing = false;
      clock.set(T0 + 20 * H); // the 16 h tick prepares it, the 20 h tick activates it
      await expect
        .poll(() => ca.activeX509()?.chain[0]?.equals(active ?? Buffer.alloc(0)))
        .toBe(false);
    } finally {
      built.stop();
    }
  });
});
