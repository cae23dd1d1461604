import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (pkg: string) =>
  fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));

export default defineConfig({
  resolve: {
    alias: {
      '@spire-ts/spiffe/grpc': fileURLToPath(
        new URL('./packages/spiffe/src/grpc/index.ts', import.meta.url),
      ),
      '@spire-ts/spiffe/workload-proto': fileURLToPath(
        new URL('./packages/spiffe/src/gen/workload_pb.ts', import.meta.url),
      ),
      '@spire-ts/spiffe': src('spiffe'),
      '@spire-ts/spire': src('spire'),
    },
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default', './scripts/plain-summary-reporter.ts'],
  },
});
