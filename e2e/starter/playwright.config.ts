import { defineConfig } from '@playwright/test'

/**
 * The todo starter (examples/todo) in real Chromium against a real `cairn-server`. Run by the consumer test
 * (scripts/consumer-test.mjs) on the starter built from the packed packages: `TODO_DIST` is that build and
 * `CAIRN_SERVER_BIN` the `cairn-server` installed from the tarball. Without them: examples/todo/dist and the
 * workspace's bin (build both first).
 */
export default defineConfig({
  testDir: '.',
  testMatch: '*.spec.ts',
  timeout: 60_000,
  expect: { timeout: 15_000 },
  retries: 0,
  workers: 1,
  outputDir: '../../test-results/starter',
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
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
  },
})
