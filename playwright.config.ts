// Browser end-to-end tests: Debian's Chromium against a real `shelf serve` each spec file starts; never a downloaded browser.
import { defineConfig } from '@playwright/test';

export default defineConfig({
  testDir: 'e2e',
  outputDir: 'test-results',
  workers: 1,
  fullyParallel: false,
  reporter: 'list',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  use: {
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
    trace: 'retain-on-failure',
  },
  projects: [
    { name: 'browser', testIgnore: /electron\// },
    // The desktop shell through Playwright's Electron driver; skips itself when the Electron binary is missing.
    { name: 'electron', testMatch: /electron\/.*\.spec\.ts$/ },
  ],
});
