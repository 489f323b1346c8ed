// Unit and integration tests (Node); the browser end-to-end specs in e2e/ run under Playwright instead.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One real S3 server (Ceph RGW) and one real PostgreSQL for the run, when it needs them (test/global-setup-*.ts).
    globalSetup: ['test/global-setup-s3.ts', 'test/global-setup-postgres.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default'],
  },
});
