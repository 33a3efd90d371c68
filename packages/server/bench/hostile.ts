/**
 * Hostile-load benchmark: the server's memory (RSS) and `/healthz` latency while one client holds
 * (1) 2,000 live (SSE) streams, (2) 20 stalled pulls of 1,000 events of 64 KB, (3) 20 stalled live catch-ups
 * of the same events. "Stalled" = the request is sent and the answer never read, so the server holds
 * whatever it built for it. Loopback only, bounded in count and time; the server process is ours and is
 * stopped at the end.
 *
 *   npx tsx packages/server/bench/hostile.ts [--src packages/server/src] [--streams 2000] [--stalled 20]
 *     [--server-options '{"limits":{...}}'] [--json out.json]
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { connect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const { values } = parseArgs({
  options: {
    src: { type: 'string', default: fileURLToPath(new URL('../src', import.meta.url)) },
    streams: { type: 'string', default: '2000' },
    stalled: { type: 'string', default: '20' },
    'server-options': { type: 'string', default: '{}' },
    json: { type: 'string' },
  },
})
const STREAMS = Math.min(5000, Number(values.streams))
const STALLED = Math.min(100, Number(values.stalled))
const EVENTS = 1000
const PAD = 'x'.repeat(64 * 1024 - 100) // one event's data just under the 64 KiB limit

interface Measure {
  rssMb: number
  healthzMs: { p50: number; max: number; failed: number }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0)
  return Math.round(kb / 1024)
}

async function healthz(url: string, samples = 10): Promise<Measure['healthzMs']> {
  const times: number[] = []
  let failed = 0
  for (let i = 0; i < samples; i++) {
    const started = performance.now()
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(30_000) })
      await res.text()
      if (res.status !== 200) failed += 1
      else times.push(performance.now() - started)
    } catch {
      failed += 1
    }
  }
  times.sort((a, b) => a - b)
  const round = (n: number | undefined) => Math.round((n ?? Number.NaN) * 10) / 10
  return { p50: round(times[Math.floor(times.length / 2)]), max: round(times[times.length - 1]), failed }
}

async function measure(url: string, pid: number): Promise<Measure> {
  return { rssMb: rssMb(pid), healthzMs: await healthz(url) }
}

/** Sends a raw GET and reports the status line (or `dropped`); `stall` stops reading after the headers. */
function rawGet(url: string, path: string, stall: boolean): Promise<{ socket: Socket; status: string }> {
  const { hostname, port } = new URL(url)
  return new Promise((resolveOpen) => {
    const socket = connect(Number(port), hostname)
    let settled = false
    const settle = (status: string) => {
      if (settled) return
      settled = true
      if (stall) socket.pause()
      resolveOpen({ socket, status })
    }
    socket.setTimeout(20_000, () => settle('timeout'))
    socket.on('error', () => settle('dropped'))
    socket.on('close', () => settle('dropped'))
    socket.on('connect', () => socket.write(`GET ${path} HTTP/1.1\r\nHost: ${hostname}\r\n\r\n`))
    socket.once('data', (chunk: Buffer) => settle(/^HTTP\/1\.1 (\d+)/.exec(chunk.toString('latin1'))?.[1] ?? '?'))
    if (stall) socket.on('connect', () => setTimeout(() => settle('sent'), 2000))
  })
}

const countBy = (statuses: string[]) =>
  statuses.reduce<Record<string, number>>((acc, s) => {
    acc[s] = (acc[s] ?? 0) + 1
    return acc
  }, {})

async function seed(url: string): Promise<void> {
  for (let first = 0; first < EVENTS; first += 15) {
    const events = Array.from({ length: Math.min(15, EVENTS - first) }, (_, i) => ({
      id: `big-${first + i}`,
      stream: `card:big-${first + i}`,
      version: 1,
      type: 'CardAdded',
      data: { pad: PAD },
    }))
    const res = await fetch(`${url}/v1/spaces/big/push`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ clientId: 'bench', events }),
    })
    if (res.status !== 200) throw new Error(`seed push failed: ${res.status} ${await res.text()}`)
  }
}

async function startServerProcess(dir: string): Promise<{ child: ChildProcess; url: string; pid: number }> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      fileURLToPath(new URL('./hostile-server.ts', import.meta.url)),
      resolve(values.src),
      join(dir, 'hostile.db'),
      values['server-options'],
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  )
  const line = await new Promise<string>((resolveLine, reject) => {
    let out = ''
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      if (out.includes('\n')) resolveLine(out.split('\n')[0]!)
    })
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)))
  })
  const { url, pid } = JSON.parse(line) as { url: string; pid: number }
  return { child, url, pid }
}

async function openMany(url: string, count: number, path: (i: number) => string, stall: boolean) {
  const opened: { socket: Socket; status: string }[] = []
  for (let i = 0; i < count; i += 100)
    opened.push(
      ...(await Promise.all(
        Array.from({ length: Math.min(100, count - i) }, (_, j) => rawGet(url, path(i + j), stall)),
      )),
    )
  return opened
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-hostile-'))
  const server = await startServerProcess(dir)
  const results: Record<string, unknown> = { src: values.src, serverOptions: JSON.parse(values['server-options']) }
  try {
    results.idle = await measure(server.url, server.pid)

    const streams = await openMany(server.url, STREAMS, () => '/v1/spaces/live/live?after=0', false)
    await sleep(1000)
    results.liveStreams = {
      attempted: STREAMS,
      statuses: countBy(streams.map((s) => s.status)),
      ...(await measure(server.url, server.pid)),
    }
    for (const s of streams) s.socket.destroy()
    await sleep(2000)

    await seed(server.url)
    results.seeded = await measure(server.url, server.pid)
    for (const [name, path] of [
      ['stalledPulls', '/v1/spaces/big/pull?after=0&limit=1000'],
      ['stalledLiveCatchUps', '/v1/spaces/big/live?after=0'],
    ] as const) {
      const stalled = await openMany(server.url, STALLED, () => path, true)
      await sleep(3000)
      results[name] = {
        attempted: STALLED,
        statuses: countBy(stalled.map((s) => s.status)),
        ...(await measure(server.url, server.pid)),
      }
      for (const s of stalled) s.socket.destroy()
      await sleep(2000)
    }
  } finally {
    server.child.kill('SIGTERM')
    await Promise.race([new Promise((r) => server.child.once('exit', r)), sleep(15_000)])
    if (server.child.exitCode === null) server.child.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  }
  const text = JSON.stringify(results, null, 2)
  process.stdout.write(`${text}\n`)
  if (values.json) writeFileSync(values.json, `${text}\n`)
}

await main()
