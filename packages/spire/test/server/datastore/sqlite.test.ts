import { entryConformance } from './conformance/entries.js';
import { sqliteBackend } from './support/backends.js';
import { runConformance } from './support/suite.js';

await runConformance(sqliteBackend, [entryConformance]);
