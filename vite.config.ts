import { playwright } from '@vitest/browser-playwright'
import { defaultClientConditions, defaultServerConditions } from 'vite'
import { defineConfig } from 'vitest/config'

/** Chromium from the system (Debian's package); Playwright's own download does not work on our machines. */
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/**
 * The workspace packages' `exports` point at their built `dist/` for users and at `src/` under the `@cairn/source`
 * condition: tests run from the sources, no build step.
 */
export const sourceCondition = '@cairn/source'

export default defineConfig({
  resolve: { conditions: [sourceCondition, ...defaultClientConditions] },
  ssr: { resolve: { conditions: [sourceCondition, ...defaultServerConditions] } },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'node',
          environment: 'node',
          include: ['packages/*/test/**/*.test.ts', 'examples/*/src/**/*.test.ts', 'docs/test/*.test.ts'],
          exclude: ['**/*.browser.test.{ts,tsx}', '**/node_modules/**'],
          setupFiles: ['fake-indexeddb/auto'],
          // The CLI tests spawn the compiled `cairn-server` bin: build it first.
          globalSetup: ['scripts/build-server.ts'],
          typecheck: {
            enabled: true,
            include: ['packages/*/test/**/*.test-d.ts'],
            exclude: ['packages/react/**', '**/node_modules/**'],
            tsconfig: 'packages/core/tsconfig.json',
          },
        },
      },
      {
        extends: true,
        test: {
          // React's type tests need React's tsconfig (its files are outside core's program, so core's would pass them unchecked).
          name: 'react-types',
          typecheck: {
            enabled: true,
            only: true,
            include: ['packages/react/test/**/*.test-d.ts'],
            tsconfig: 'packages/react/tsconfig.json',
          },
        },
      },
      {
        extends: true,
        test: {
          name: 'browser',
          include: ['packages/*/test/**/*.browser.test.{ts,tsx}'],
          // A real sync server for the browser tests (its URL is provided as `syncUrl`).
          globalSetup: ['packages/core/test/global-sync-server.ts'],
          browser: {
            enabled: true,
            headless: true,
            screenshotFailures: false,
            provider: playwright({
              launchOptions: {
                executablePath: chromiumPath,
                args: [
                  '--disable-gpu',
                  '--disable-quic',
                  '--no-sandbox',
                  '--disable-background-networking',
                  '--disable-component-update',
                  '--disable-sync',
                ],
              },
            }),
            instances: [{ browser: 'chromium' }],
          },
        },
      },
    ],
  },
})
