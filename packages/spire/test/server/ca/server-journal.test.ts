// `spire-server run` keeps the CA journal in its datastore and imports a ca-journal.json left in
// data_dir by an earlier version once.
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TrustDomain } from '@spire-ts/spiffe';
import { afterAll, describe, expect, it } from 'vitest';
import { realClock } from '../../../src/common/clock/index.js';
import { parseConfigText } from '../../../src/common/config/index.js';
import { createLogger } from '../../../src/common/log/index.js';
import { authorityIdOf, CaManager, MemoryCaJournalStore } from '../../../src/server/ca/index.js';
import { buildServerConfig } from '../../../src/server/config/index.js';
import { CredentialBuilder } from '../../../src/server/credtemplate/index.js';
import { DiskKeyManager } from '../../../src/server/plugin/keymanager/index.js';
import { startServer } from '../../../src/server/server.js';

const dir = mkdtempSync(join(tmpdir(), 'spire-ca-journal-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// The config refuses port 0; a port derived from the pid keeps parallel runs apart.
const port = 40_000 + (process.pid % 20_000);
const config = (dataDir: string) =>
  buildServerConfig(
    parseConfigText(
      `server {
        trust_domain = "example.org"
        data_dir = "${dataDir}"
        bind_address = "127.0.0.1"
        bind_port = "${port}"
        socket_path = "${dataDir}/api.sock"
      }
      plugins {
        DataStore "sql" { plugin_data { database_type = "sqlite3" connection_string = "${dataDir}/ds.sqlite3" } }
        KeyManager "disk" { plugin_data { keys_path = "${dataDir}/keys.json" } }
        NodeAttestor "join_token" { plugin_data {} }
      }`,
      join(dataDir, 'server.conf'),
    ),
  );
const log = createLogger({ stream: { write: () => undefined } }).logger;
const idOf = (der: Buffer | undefined) =>
  authorityIdOf(
    new X509Certificate(der ?? Buffer.alloc(0)).publicKey.export({ type: 'spki', format: 'der' }),
  );

describe('server CA journal wiring', () => {
  it('stores the journal in the datastore, not in data_dir, and finds it after a restart', async () => {
    const dataDir = join(dir, 'fresh');
    const first = await startServer(config(dataDir), { log });
    const active = first.ctx.ca.activeX509()?.chain[0];
    const kid = first.ctx.ca.activeJwt()?.kid;
    try {
      const rows = await first.ctx.datastore.listCaJournals();
      expect(rows.map((r) => [r.activeX509AuthorityId, r.activeJwtAuthorityId])).toEqual([
        [idOf(active), kid],
      ]);
      expect(existsSync(join(dataDir, 'ca-journal.json'))).toBe(false);
    } finally {
      await first.close();
    }
    const second = await startServer(config(dataDir), { log });
    try {
      expect([second.ctx.ca.activeX509()?.chain[0], second.ctx.ca.activeJwt()?.kid]).toEqual([
        active,
        kid,
      ]);
      expect(await second.ctx.datastore.listCaJournals()).toHaveLength(1);
    } finally {
      await second.close();
    }
  }, 30_000);

  it('imports <data_dir>/ca-journal.json once and renames it ca-journal.json.migrated', async () => {
    const dataDir = join(dir, 'upgrade');
    mkdirSync(dataDir, { recursive: true });
    // What the previous version left behind: its keys file and its journal file.
    const keyManager = await DiskKeyManager.open({ keys_path: join(dataDir, 'keys.json') });
    const old = new MemoryCaJournalStore();
    const builder = new CredentialBuilder({
      trustDomain: TrustDomain.fromString('example.org'),
      clock: realClock,
      caTtlMs: 24 * 3_600_000,
    });
    const oldCa = new CaManager({ builder, keyManager, journal: old });
    await oldCa.start();
    oldCa.stop();
    const bytes = (await old.load())?.bytes ?? new Uint8Array();
    writeFileSync(join(dataDir, 'ca-journal.json'), bytes);

    const server = await startServer(config(dataDir), { log });
    try {
      expect([server.ctx.ca.activeX509()?.chain[0], server.ctx.ca.activeJwt()?.kid]).toEqual([
        oldCa.activeX509()?.chain[0],
        oldCa.activeJwt()?.kid,
      ]);
      expect(existsSync(join(dataDir, 'ca-journal.json'))).toBe(false);
      expect(readFileSync(join(dataDir, 'ca-journal.json.migrated'))).toEqual(Buffer.from(bytes));
      const rows = await server.ctx.datastore.listCaJournals();
      expect(rows.map((r) => r.activeX509AuthorityId)).toEqual([
        idOf(oldCa.activeX509()?.chain[0]),
      ]);
    } finally {
      await server.close();
    }
  }, 30_000);
});
