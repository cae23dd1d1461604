// Child process of the crash test: opens the store named by argv[2] (plugin_data JSON), then
// creates entries one by one and prints each id once the create has returned (acknowledged).
import { openSqlDataStore, parseSqlStoreConfig } from '../../../../src/server/datastore/index.js';

const store = await openSqlDataStore(parseSqlStoreConfig(JSON.parse(process.argv[2] ?? '{}')));
process.stdout.write('ready\n');
for (let i = 0; ; i++) {
  const e = await store.createEntry({
    id: `crash-${i}`,
    spiffeId: `spiffe://example.org/w/${i}`,
    parentId: 'spiffe://example.org/agent',
    selectors: [
      { type: 'unix', value: `uid:${i}` },
      { type: 'unix', value: 'gid:0' },
    ],
    dnsNames: [`w${i}.example.org`],
  });
  process.stdout.write(`${e.id}\n`);
}
