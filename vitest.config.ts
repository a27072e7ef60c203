import { defineConfig } from 'vitest/config';

// Unit tests of every package (no services). The e2e suites run from e2e/ with their own config.
export default defineConfig({
  test: {
    projects: ['packages/*'],
  },
});
