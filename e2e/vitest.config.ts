import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// End-to-end suites: they import the BUILT packages (no source condition) and talk to the real
// services tools/testenv started. A missing service fails the suite; nothing is skipped.
export default defineConfig({
  root: dirname(fileURLToPath(import.meta.url)),
  test: {
    name: 'e2e',
    include: ['src/**/*.e2e.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 300_000,
    fileParallelism: false,
    // A skipped or todo test counts as a failure in CI (see tools/test-all).
    passWithNoTests: false,
  },
});
