import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { defineConfig } from 'vitest/config';

// Every test's logger writes here; the log-scan project reads it all once the suite is done.
process.env.SIS_SYNC_TEST_LOG_DIR ??= mkdtempSync(path.join(tmpdir(), 'sis-sync-test-logs-'));

// One run covers every tier on one database driver: PGlite by default, PostgreSQL when
// TEST_DATABASE_URL is set (`.ci/run` does both). Each test file gets a database of its own.
export default defineConfig({
  test: {
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 120_000,
    provide: { logDir: process.env.SIS_SYNC_TEST_LOG_DIR },
    projects: [
      {
        extends: true,
        test: {
          name: 'suite',
          include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: ['test/log-scan.test.ts', '**/node_modules/**'],
          globalSetup: ['test/global-setup.ts'],
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'log-scan',
          include: ['test/log-scan.test.ts'],
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
