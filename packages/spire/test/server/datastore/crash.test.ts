import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openSqlDataStore } from '../../../src/server/datastore/index.js';
import { type Backend, postgresBackend, sqliteBackend } from './support/backends.js';
import { runConformance } from './support/suite.js';

const WRITER = fileURLToPath(new URL('./support/crash-writer.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../../../', import.meta.url));
const ACKS_BEFORE_KILL = 40;

/** Runs the writer until it has acknowledged enough entries, SIGKILLs it, returns the acks. */
function writeUntilKilled(pluginData: Record<string, unknown>): Promise<string[]> {
  const child = spawn(process.execPath, ['--import', 'tsx', WRITER, JSON.stringify(pluginData)], {
    cwd: ROOT,
    env: { ...process.env, TSX_TSCONFIG_PATH: 'tsconfig.test.json' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const acked: string[] = [];
  let buffered = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      acked.push(...lines.filter((l) => l.startsWith('crash-')));
      if (acked.length >= ACKS_BEFORE_KILL) child.kill('SIGKILL');
    });
    child.on('exit', (_code, signal) =>
      signal === 'SIGKILL' ? resolve(acked) : reject(new Error(`writer exited early: ${stderr}`)),
    );
  });
}

function crashSuite(backend: Backend): void {
  describe(`crash safety (${backend.name})`, () => {
    it('keeps every acknowledged entry whole after the writer is SIGKILLed mid-stream', async () => {
      const db = await backend.create();
      try {
        const acked = await writeUntilKilled(db.pluginData);
        expect(acked.length).toBeGreaterThanOrEqual(ACKS_BEFORE_KILL);
        const store = await openSqlDataStore(db.config);
        try {
          const all = (await store.listEntries()).items;
          const byId = new Map(all.map((e) => [e.id, e]));
          for (const id of acked) expect(byId.has(id)).toBe(true);
          // At most the write in flight at the kill may have committed without being acked.
          expect(all.length - acked.length).toBeLessThanOrEqual(1);
          // Consistent: every entry has its two selectors and its DNS name, and an event.
          const i = (id: string) => id.slice('crash-'.length);
          const shape = all.map((e) => [e.selectors.length, e.dnsNames]);
          expect(shape).toEqual(all.map((e) => [2, [`w${i(e.id)}.example.org`]]));
          const events = new Set((await store.listEntryEvents(0, 10_000)).map((e) => e.key));
          expect(all.filter((e) => !events.has(e.id))).toEqual([]);
          await store.createEntry({
            spiffeId: 'spiffe://example.org/after',
            parentId: 'spiffe://example.org/agent',
            selectors: [{ type: 'unix', value: 'uid:1' }],
          });
        } finally {
          await store.close();
        }
      } finally {
        await db.drop();
      }
    });
  });
}

await runConformance(sqliteBackend, [crashSuite]);
await runConformance(postgresBackend, [crashSuite]);
