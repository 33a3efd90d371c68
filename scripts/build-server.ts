/**
 * Vitest global setup (node project) and e2e global setup: builds `@cairn/server` and the `@cairn/core` it imports,
 * so the tests that spawn the `cairn-server` bin run the compiled CLI users get (the bin runs `dist/cli.js`, which
 * imports core's `dist/`, no TypeScript loader). Always rebuilt (≈3 s): a stale dist/ would test yesterday's code.
 */
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export function buildServer(): void {
  const root = fileURLToPath(new URL('..', import.meta.url))
  const result = spawnSync('npm', ['run', 'build', '--silent', '-w', '@cairn/core', '-w', '@cairn/server'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  if (result.status !== 0)
    throw new Error('building @cairn/server failed (npm run build -w @cairn/core -w @cairn/server)')
}

export default buildServer
