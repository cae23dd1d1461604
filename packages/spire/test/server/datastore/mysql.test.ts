import { entryConformance } from './conformance/entries.js';
import { mysqlBackend } from './support/backends.js';
import { runConformance } from './support/suite.js';

await runConformance(mysqlBackend, [entryConformance]);
