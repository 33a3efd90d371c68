import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { buildServer } from '../scripts/build-server'

/** Builds the server's CLI and the demo app once for the whole run (each test file serves it from its own server). */
export default function globalSetup(): void {
  buildServer()
  const root = fileURLToPath(new URL('..', import.meta.url))
  const result = spawnSync('npm', ['run', 'build', '-w', 'demo-app'], { cwd: root, stdio: 'inherit' })
  if (result.status !== 0) throw new Error('building the demo app failed')
}
