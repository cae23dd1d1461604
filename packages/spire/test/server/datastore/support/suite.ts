import { describe, it } from 'vitest';
import type { Backend } from './backends.js';

/**
 * Runs the conformance suites against a backend. An unreachable database skips them with a
 * visible message, except under CI (`CI=true`), where it fails the run.
 */
export async function runConformance(
  backend: Backend,
  suites: ((b: Backend) => void)[],
): Promise<void> {
  const why = await backend.unreachable();
  if (why === undefined) {
    for (const suite of suites) suite(backend);
    return;
  }
  if (process.env.CI === 'true') {
    it(`${backend.name} database is reachable (required when CI=true)`, () => {
      throw new Error(why);
    });
    return;
  }
  console.warn(`SKIPPING ${backend.name} datastore conformance: ${why}`);
  describe.skip(`${backend.name} datastore conformance (skipped: ${why})`, () => {
    it('needs a reachable database', () => {});
  });
}
