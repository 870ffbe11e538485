import { defineConfig } from 'vitest/config';

// The SQLite driver crashes (segmentation fault) on Node older than 22: say so once instead.
const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  throw new Error(`delivr's tests need Node.js 22 or 24, this is ${process.version}: run them as scripts/with-node.sh 22 <command>`);
}

// Tests share real databases; each test creates its own organization, so files may run in parallel.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
  },
});
