import { entryConformance } from './conformance/entries.js';
import { postgresBackend } from './support/backends.js';
import { runConformance } from './support/suite.js';

await runConformance(postgresBackend, [entryConformance]);
