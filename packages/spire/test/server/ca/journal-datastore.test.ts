// The CA journal in the datastore (SPIRE 1.9+): found through the KeyManager's keys, imported
// once from a legacy ca-journal.json, saved before a new authority is used, one row per server.
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpiffeId, TrustDomain } from '@spire-ts/spiffe';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/common/clock/index.js';
import {
  authorityIdOf,
  type CaJournalRows,
  CaManager,
  DatastoreCaJournalStore,
  MemoryCaJournalStore,
} from '../../../src/server/ca/index.js';
import { decodeJournal } from '../../../src/server/ca/journal-codec.js';
import { CredentialBuilder } from '../../../src/server/credtemplate/index.js';
import {
  DiskKeyManager,
  type KeyManager,
  MemoryKeyManager,
} from '../../../src/server/plugin/keymanager/index.js';
import {
  type Backend,
  mysqlBackend,
  postgresBackend,
  sqliteBackend,
} from '../datastore/support/backends.js';
import { useStore } from '../datastore/support/harness.js';
import { runConformance } from '../datastore/support/suite.js';

const T0 = Date.UTC(2030, 0, 1);
const H = 3_600_000;
const td = TrustDomain.fromString('example.org');
const web = SpiffeId.fromPath(td, '/web');
const leafKey = () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
const serialOf = (der: Buffer | undefined) => (der ? new X509Certificate(der).serialNumber : '');

/** Everything a restart must keep, as plain values. */
function snapshot(m: CaManager) {
  return {
    activeX509: serialOf(m.activeX509()?.chain[0]),
    preparedX509: serialOf(m.preparedX509()?.chain[0]),
    activeJwt: m.activeJwt()?.kid,
    preparedJwt: m.preparedJwt()?.kid,
    bundle: m.bundle(),
  };
}

const activeIdOf = (m: CaManager) => {
  const der = m.activeX509()?.chain[0];
  if (!der) throw new Error('no active CA');
  return authorityIdOf(new X509Certificate(der).publicKey.export({ type: 'spki', format: 'der' }));
};

function journalSuite(backend: Backend) {
  describe(`CA journal in the datastore (${backend.name})`, () => {
    const fx = useStore(backend);
    let dir: string;
    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'ca-journal-'));
    });
    afterEach(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    const diskKeys = (name = 'keys.json') => DiskKeyManager.open({ keys_path: join(dir, name) });

    function server(opts: {
      keyManager: KeyManager;
      clock: FakeClock;
      datastore?: CaJournalRows;
      legacyFile?: string;
    }) {
      const journal = new DatastoreCaJournalStore({
        datastore: opts.datastore ?? fx.store,
        ...(opts.legacyFile ? { legacyFile: opts.legacyFile } : {}),
      });
      const builder = new CredentialBuilder({
        trustDomain: td,
        clock: opts.clock,
        caTtlMs: 24 * H,
      });
      const manager = new CaManager({ builder, keyManager: opts.keyManager, journal });
      const bundles: unknown[] = [];
      manager.on('bundle', (b) => bundles.push(b));
      const errors: unknown[] = [];
      manager.on('error', (err) => errors.push(err));
      return { manager, journal, bundles, errors };
    }

    it('a restart with the same datastore and keys keeps the active and prepared authorities', async () => {
      const clock = new FakeClock(T0);
      const first = server({ keyManager: await diskKeys(), clock });
      await first.manager.start();
      clock.set(T0 + 12 * H);
      await first.manager.rotate();
      first.manager.stop();
      const before = snapshot(first.manager);
      expect(before.preparedX509).not.toBe('');
      expect(before.preparedJwt).toMatch(/^[a-zA-Z0-9]{32}$/);

      const rows = await fx.store.listCaJournals();
      expect(rows.map((r) => [r.id, r.activeX509AuthorityId, r.activeJwtAuthorityId])).toEqual([
        [first.journal.rowId, activeIdOf(first.manager), before.activeJwt],
      ]);

      const later = new FakeClock(T0 + 13 * H);
      const second = server({ keyManager: await diskKeys(), clock: later });
      await second.manager.start();
      expect(snapshot(second.manager)).toEqual(before);
      expect(second.journal.rowId).toBe(first.journal.rowId);
      expect(second.bundles).toHaveLength(0);
      expect((await fx.store.listCaJournals()).map((r) => r.id)).toEqual([first.journal.rowId]);

      // The prepared authority loaded from the datastore is the one activated at 5/6.
      later.set(T0 + 20 * H);
      await second.manager.rotate();
      expect(serialOf(second.manager.activeX509()?.chain[0])).toBe(before.preparedX509);
      expect(second.manager.activeJwt()?.kid).toBe(before.preparedJwt);
      const [row] = await fx.store.listCaJournals();
      expect([row?.activeX509AuthorityId, row?.activeJwtAuthorityId]).toEqual([
        activeIdOf(second.manager),
        before.preparedJwt,
      ]);
      second.manager.stop();
    });

    it('imports a ca-journal.json written by the previous version once, then renames it .migrated', async () => {
      // The previous version wrote the encoded journal as-is to <data_dir>/ca-journal.json.
      const keysPath = 'keys.json';
      const old = new MemoryCaJournalStore();
      const builder = new CredentialBuilder({
        trustDomain: td,
        clock: new FakeClock(T0),
        caTtlMs: 24 * H,
      });
      const oldManager = new CaManager({
        builder,
        keyManager: await diskKeys(keysPath),
        journal: old,
      });
      await oldManager.start();
      oldManager.stop();
      const fileBytes = (await old.load())?.bytes ?? new Uint8Array();
      const legacyFile = join(dir, 'ca-journal.json');
      await writeFile(legacyFile, fileBytes);
      const before = snapshot(oldManager);

      const clock = new FakeClock(T0 + H);
      const migrated = server({ keyManager: await diskKeys(keysPath), clock, legacyFile });
      await migrated.manager.start();
      migrated.manager.stop();
      expect(snapshot(migrated.manager)).toEqual(before);
      await expect(stat(legacyFile)).rejects.toMatchObject({ code: 'ENOENT' });
      expect(await readFile(`${legacyFile}.migrated`)).toEqual(Buffer.from(fileBytes));
      const rows = await fx.store.listCaJournals();
      expect(rows).toHaveLength(1);
      expect(decodeJournal(rows[0]?.data ?? new Uint8Array())).toEqual(decodeJournal(fileBytes));
      expect(rows[0]?.activeX509AuthorityId).toBe(activeIdOf(oldManager));

      // From now on the datastore is read, even if a stale file shows up again.
      await writeFile(legacyFile, Buffer.from('not a journal'));
      const again = server({ keyManager: await diskKeys(keysPath), clock, legacyFile });
      await again.manager.start();
      again.manager.stop();
      expect(snapshot(again.manager)).toEqual(before);
      expect(await readFile(legacyFile, 'utf8')).toBe('not a journal');
      expect((await fx.store.listCaJournals()).map((r) => r.id)).toEqual([rows[0]?.id]);
    });

    it('a datastore write failure during rotation does not activate the new authority', async () => {
      let failWith: Error | undefined;
      let hold: Promise<void> | undefined;
      const ds: CaJournalRows = {
        setCaJournal: async (j) => {
          await hold;
          if (failWith) throw failWith;
          return fx.store.setCaJournal(j);
        },
        fetchCaJournal: (id) => fx.store.fetchCaJournal(id),
        listCaJournals: () => fx.store.listCaJournals(),
        deleteCaJournal: (id) => fx.store.deleteCaJournal(id),
      };
      const clock = new FakeClock(T0);
      const { manager, bundles } = server({ keyManager: await diskKeys(), clock, datastore: ds });
      await manager.start();
      manager.stop(); // rotations below are driven by hand
      clock.set(T0 + 12 * H);
      await manager.rotate();
      const a = snapshot(manager);
      const issuerSerialOf = async () => {
        const svid = await manager.signWorkloadX509Svid({ spiffeId: web, publicKey: leafKey() });
        const ca = (await manager.bundle()).x509Authorities.find((der) =>
          new X509Certificate(svid.der).checkIssued(new X509Certificate(der)),
        );
        return serialOf(ca);
      };

      // While the activating write is in flight, SVIDs are still signed by the saved active CA.
      let release = () => {};
      hold = new Promise((r) => {
        release = r;
      });
      failWith = new Error('database is gone');
      clock.set(T0 + 20 * H);
      const rotation = manager.rotate();
      await new Promise((r) => setTimeout(r, 20));
      expect(await issuerSerialOf()).toBe(a.activeX509);
      release();
      await expect(rotation).rejects.toThrow('database is gone');

      expect(snapshot(manager)).toEqual(a);
      expect(await issuerSerialOf()).toBe(a.activeX509);
      expect(bundles).toHaveLength(2);
      const [row] = await fx.store.listCaJournals();
      expect(row?.activeX509AuthorityId).toBe(activeIdOf(manager));

      // Once the datastore is back, the next tick activates the prepared authority.
      hold = undefined;
      failWith = undefined;
      await manager.rotate();
      expect(serialOf(manager.activeX509()?.chain[0])).toBe(a.preparedX509);
      expect(manager.activeJwt()?.kid).toBe(a.preparedJwt);
      expect(await issuerSerialOf()).toBe(a.preparedX509);
      const [saved] = await fx.store.listCaJournals();
      expect(saved?.activeX509AuthorityId).toBe(activeIdOf(manager));
      manager.stop();
    });

    it('servers sharing a database each keep and load their own journal row (HA)', async () => {
      const clock = new FakeClock(T0);
      const otherStore = await fx.openAnother();
      const s1 = server({ keyManager: await diskKeys('keys-1.json'), clock });
      const s2 = server({
        keyManager: await diskKeys('keys-2.json'),
        clock,
        datastore: otherStore,
      });
      await s1.manager.start();
      await s2.manager.start();
      s1.manager.stop();
      s2.manager.stop();
      const one = snapshot(s1.manager);
      const two = snapshot(s2.manager);
      expect(two.activeX509).not.toBe(one.activeX509);
      const rows = await fx.store.listCaJournals();
      expect(rows.map((r) => [r.id, r.activeX509AuthorityId])).toEqual([
        [s1.journal.rowId, activeIdOf(s1.manager)],
        [s2.journal.rowId, activeIdOf(s2.manager)],
      ]);

      // Restart both, the second one first: each finds its own row through its own keys.
      const r2 = server({
        keyManager: await diskKeys('keys-2.json'),
        clock,
        datastore: otherStore,
      });
      const r1 = server({ keyManager: await diskKeys('keys-1.json'), clock });
      await r2.manager.start();
      await r1.manager.start();
      r1.manager.stop();
      r2.manager.stop();
      expect([snapshot(r1.manager), snapshot(r2.manager)]).toEqual([one, two]);
      expect([r1.journal.rowId, r2.journal.rowId]).toEqual([s1.journal.rowId, s2.journal.rowId]);
      expect(await fx.store.listCaJournals()).toHaveLength(2);
    });

    it('a server whose keys are gone (memory KeyManager) starts a new CA in a new row', async () => {
      const clock = new FakeClock(T0);
      const first = server({ keyManager: new MemoryKeyManager(), clock });
      await first.manager.start();
      const second = server({ keyManager: new MemoryKeyManager(), clock });
      await second.manager.start();
      first.manager.stop();
      second.manager.stop();
      expect(snapshot(second.manager).activeX509).not.toBe(snapshot(first.manager).activeX509);
      expect(second.journal.rowId).toBeGreaterThan(first.journal.rowId);
      expect((await fx.store.listCaJournals()).map((r) => r.id)).toEqual([
        first.journal.rowId,
        second.journal.rowId,
      ]);
    });

    it('writes a new row when its own row was deleted under it', async () => {
      const clock = new FakeClock(T0);
      const { manager, journal } = server({ keyManager: await diskKeys(), clock });
      await manager.start();
      manager.stop();
      const firstId = journal.rowId;
      await fx.store.deleteCaJournal(firstId);
      clock.set(T0 + 12 * H);
      await manager.rotate();
      const rows = await fx.store.listCaJournals();
      expect(rows.map((r) => [r.activeX509AuthorityId, r.activeJwtAuthorityId])).toEqual([
        [activeIdOf(manager), manager.activeJwt()?.kid],
      ]);
      expect(journal.rowId).toBe(rows[0]?.id);
      expect(journal.rowId).not.toBe(firstId);
      expect(decodeJournal(rows[0]?.data ?? new Uint8Array()).x509.map((a) => a.status)).toEqual([
        'active',
        'prepared',
      ]);
    });

    it('prunes, every 8 h, rows whose every authority expired more than 14 days ago', async () => {
      const D = 24 * H;
      const gone = server({ keyManager: new MemoryKeyManager(), clock: new FakeClock(T0) });
      await gone.manager.start();
      gone.manager.stop();
      const clock = new FakeClock(T0 + H);
      const live = server({ keyManager: new MemoryKeyManager(), clock });
      await live.manager.start();
      live.manager.stop();
      const ids = () => fx.store.listCaJournals().then((rows) => rows.map((r) => r.id));
      // The first server's CA and JWT key expire at T0+24h: kept until T0+24h+14d.
      clock.set(T0 + D + 14 * D - 1000);
      await live.manager.rotate();
      expect(await ids()).toEqual([gone.journal.rowId, live.journal.rowId]);
      // 14 days after expiry, but the last prune ran less than 8 h ago: not yet.
      clock.set(T0 + D + 14 * D + 7 * H);
      await live.manager.rotate();
      expect(await ids()).toEqual([gone.journal.rowId, live.journal.rowId]);
      clock.set(T0 + D + 14 * D + 8 * H);
      await live.manager.rotate();
      expect(await ids()).toEqual([live.journal.rowId]);
      expect(live.errors).toEqual([]);
    });

    it('a failed prune is reported as ERR_CA_JOURNAL_PRUNE and does not fail the rotation', async () => {
      const ds: CaJournalRows = {
        setCaJournal: (j) => fx.store.setCaJournal(j),
        fetchCaJournal: (id) => fx.store.fetchCaJournal(id),
        listCaJournals: async () => {
          throw new Error('connection reset');
        },
        deleteCaJournal: (id) => fx.store.deleteCaJournal(id),
      };
      const clock = new FakeClock(T0);
      const { manager, errors } = server({
        keyManager: new MemoryKeyManager(),
        clock,
        datastore: ds,
      });
      await manager.start();
      manager.stop();
      clock.set(T0 + 12 * H);
      await manager.rotate();
      expect(manager.preparedX509()?.slot).toBe('B');
      expect(errors).toMatchObject([
        { code: 'ERR_CA_JOURNAL_PRUNE', message: 'could not prune ca journals: connection reset' },
      ]);
    });

    it('refuses a malformed journal row with ERR_CA_BAD_JOURNAL naming the row', async () => {
      const keyManager = await diskKeys();
      const key = await keyManager.generateKey('x509-CA-A', 'ec-p256');
      const row = await fx.store.setCaJournal({
        id: 0,
        data: Buffer.from('{"version":7}'),
        activeX509AuthorityId: authorityIdOf(key.spki),
        activeJwtAuthorityId: '',
      });
      const { manager } = server({ keyManager, clock: new FakeClock(T0) });
      await expect(manager.start()).rejects.toMatchObject({
        code: 'ERR_CA_BAD_JOURNAL',
        message: `ca journal in datastore ca journal ${row.id} is malformed (unsupported version 7); remove it to start a new ca`,
      });
    });

    it('refuses an unreadable ca-journal.json with ERR_CA_BAD_JOURNAL naming the file', async () => {
      const legacyFile = join(dir, 'ca-journal.json');
      await mkdir(legacyFile);
      const { manager } = server({
        keyManager: await diskKeys(),
        clock: new FakeClock(T0),
        legacyFile,
      });
      await expect(manager.start()).rejects.toMatchObject({
        code: 'ERR_CA_BAD_JOURNAL',
        message: expect.stringContaining(`cannot read the ca journal file ${legacyFile} (`),
      });
      expect(await fx.store.listCaJournals()).toEqual([]);
    });
  });
}

for (const backend of [sqliteBackend, postgresBackend, mysqlBackend]) {
  await runConformance(backend, [journalSuite]);
}
