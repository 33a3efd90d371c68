import { defineConfig } from '@playwright/test'

/**
 * End-to-end tests of the demo app against a real `cairn-server` process (fresh server and SQLite database per
 * test file), in the system Chromium. Serial on purpose: reliable on a 2-core machine.
 */
export default defineConfig({
  testDir: '.',
  testMatch: '*.spec.ts',
  // The todo starter's test has its own config (run by the consumer test on the packed packages).
  testIgnore: 'starter/**',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  retries: 0,
  workers: 1,
  fullyParallel: false,
  outputDir: '../test-results/e2e',
  globalSetup: './global-setup.ts',
  reporter: [['list'], ['json']],
  use: {
    browserName: 'chromium',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--disable-gpu',
        '--disable-quic',
        '--no-sandbox',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
    viewport: { width: 1280, height: 800 },
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
  },
})
