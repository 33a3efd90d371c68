import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { test } from '@playwright/test'

const root = fileURLToPath(new URL('..', import.meta.url))

/** A real `cairn-server` child process serving the built demo app, on SQLite in a temp directory. */
export class ServerProcess {
  readonly dir = mkdtempSync(join(tmpdir(), 'cairn-e2e-'))
  private child: ChildProcess | undefined
  url = ''

  constructor(
    private port = 0,
    /** More `cairn-server` arguments, e.g. `['--tokens', 'secret=b1']`. */
    private readonly args: readonly string[] = [],
  ) {}

  /** Starts (or restarts, on the same port and database) the server. */
  async start(): Promise<void> {
    if (this.port === 0) this.port = await freePort()
    const bin = join(root, 'packages/server/bin/cairn-server.js')
    const args = [
      bin,
      '--port',
      String(this.port),
      '--db',
      join(this.dir, 'cairn.db'),
      '--static',
      join(root, 'demo-app/dist'),
      '--no-rate-limit',
      ...this.args,
    ]
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
    this.child = child
    this.url = await new Promise<string>((resolve, reject) => {
      let out = ''
      const onData = (chunk: Buffer) => {
        out += chunk.toString()
        const match = /listening on (http:\/\/\S+)/.exec(out)
        if (match?.[1]) resolve(match[1])
      }
      child.stdout?.on('data', onData)
      child.stderr?.on('data', (c: Buffer) => {
        out += c.toString()
      })
      child.once('exit', (code) => reject(new Error(`cairn-server exited with ${code}: ${out}`)))
    })
  }

  /** Stops the server gracefully (SIGTERM) and waits for the process to exit. */
  async stop(): Promise<void> {
    const child = this.child
    if (!child || child.exitCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGTERM')
    await exited
    this.child = undefined
  }

  /** The server's log of a space, through its HTTP API (with `token` when the server wants one). */
  async log(
    space: string,
    token?: string,
  ): Promise<{ id: string; seq: number; type: string; stream: string; data: Record<string, unknown> }[]> {
    const events: { id: string; seq: number; type: string; stream: string; data: Record<string, unknown> }[] = []
    for (;;) {
      const res = await fetch(`${this.url}/v1/spaces/${space}/pull?after=${events.length}&limit=1000`, {
        headers: token ? { authorization: `Bearer ${token}` } : {},
      })
      if (!res.ok) throw new Error(`pull of ${space} failed: ${res.status} ${await res.text()}`)
      const body = (await res.json()) as { events: typeof events }
      events.push(...body.events)
      if (body.events.length < 1000) return events
    }
  }

  async dispose(): Promise<void> {
    await this.stop()
    rmSync(this.dir, { recursive: true, force: true })
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address()
      srv.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))))
    })
  })
}

/** Registers a fresh server for the current test file (started before its tests, stopped after). */
export function useServer(options: { args?: readonly string[] } = {}): ServerProcess {
  const server = new ServerProcess(0, options.args)
  test.beforeAll(async () => {
    await server.start()
  })
  test.afterAll(async () => {
    await server.dispose()
  })
  return server
}
