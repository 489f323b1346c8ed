// Unit and integration tests (Node); the browser end-to-end specs in e2e/ run under Playwright instead.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One real S3 server (Ceph RGW) for the run, when it needs one (test/global-setup-s3.ts).
    globalSetup: ['test/global-setup-s3.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default'],
  },
});
