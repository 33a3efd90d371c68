/**
 * Starts the real `cairn-server` CLI (SQLite in a temp dir, free port, no rate limit) as a child process;
 * `extraArgs` are appended (e.g. raised connection and live-stream limits for the load scenario).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { repoRoot } from './paths'

export interface ServerProcess {
  url: string
  dir: string
  child: ChildProcess
  stop(): Promise<void>
}

export async function startServerProcess(extraArgs: string[] = []): Promise<ServerProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-bench-server-'))
  const child = spawn(
    join(repoRoot, 'node_modules', '.bin', 'cairn-server'),
    // the benchmark pages sync from their own origin: an open server grants none unless told to
    ['--port', '0', '--db', join(dir, 'cairn.db'), '--no-rate-limit', '--cors-origin', '*', ...extraArgs],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let output = ''
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`cairn-server did not start: ${output}`)), 30_000)
    const on = (chunk: Buffer) => {
      output += chunk.toString()
      const m = output.match(/listening on (http:\/\/[^\s]+)/)
      if (m) {
        clearTimeout(timer)
        resolve(m[1]!)
      }
    }
    child.stdout!.on('data', on)
    child.stderr!.on('data', on)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`cairn-server exited with ${code}: ${output}`))
    })
  })
  return {
    url,
    dir,
    child,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r))
        child.kill('SIGTERM')
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))])
        if (child.exitCode === null) child.kill('SIGKILL')
      }
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
