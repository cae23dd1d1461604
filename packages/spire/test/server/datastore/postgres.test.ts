import { bundleConformance } from './conformance/bundles.js';
import { entryConformance } from './conformance/entries.js';
import { migrationConformance } from './conformance/migrations.js';
import { miscConformance } from './conformance/misc.js';
import { nodeConformance } from './conformance/nodes.js';
import { postgresBackend } from './support/backends.js';
import { runConformance } from './support/suite.js';

await runConformance(postgresBackend, [
  entryConformance,
  nodeConformance,
  bundleConformance,
  miscConformance,
  migrationConformance,
]);
