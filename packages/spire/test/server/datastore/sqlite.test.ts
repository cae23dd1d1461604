import { bundleConformance } from './conformance/bundles.js';
import { entryConformance } from './conformance/entries.js';
import { migrationConformance } from './conformance/migrations.js';
import { miscConformance } from './conformance/misc.js';
import { nodeConformance } from './conformance/nodes.js';
import { sqliteBackend } from './support/backends.js';
import { runConformance } from './support/suite.js';

await runConformance(sqliteBackend, [
  entryConformance,
  nodeConformance,
  bundleConformance,
  miscConformance,
  migrationConformance,
]);
