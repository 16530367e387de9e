import path from 'node:path';
import { defineConfig } from 'vitest/config';

const src = (p: string) => path.resolve(import.meta.dirname, 'packages', p);
// Tests import the packages' source, so the unit tier needs no build (e2e runs the built binary).
const alias = [
  { find: /^@hybrid-cpi\/core$/, replacement: src('core/src/index.ts') },
  { find: /^@hybrid-cpi\/core\/testing$/, replacement: src('core/src/testing/index.ts') },
  { find: /^@hybrid-cpi\/backend-ironic$/, replacement: src('backend-ironic/src/index.ts') },
  { find: /^@hybrid-cpi\/backend-delegate$/, replacement: src('backend-delegate/src/index.ts') },
  { find: /^@hybrid-cpi\/backend-memory$/, replacement: src('backend-memory/src/index.ts') },
];

export default defineConfig({
  test: {
    projects: [
      { resolve: { alias }, test: { name: 'unit', include: ['packages/*/test/unit/**/*.test.ts', 'test/unit/**/*.test.ts', 'examples/*/test/**/*.test.ts'] } },
      {
        resolve: { alias },
        test: {
          name: 'integration',
          include: ['packages/*/test/integration/**/*.test.ts', 'test/integration/**/*.test.ts'],
          // One real Ironic for the run; its tests share it, so they run one file at a time.
          globalSetup: ['test/integration/global-setup.ts'],
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
      { resolve: { alias }, test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], testTimeout: 120_000, hookTimeout: 120_000 } },
      // Builds the release tarball (and the executable first when it is stale), so the hooks get time.
      { resolve: { alias }, test: { name: 'release', include: ['test/release/**/*.test.ts'], testTimeout: 120_000, hookTimeout: 600_000 } },
    ],
  },
});
