/**
 * Scenario 7: the server's ingest reuses packages/server/bench/ingest.ts (spawned with tsx, its JSON read back);
 * the baselines are the raw drivers inserting the same rows in transactions of 500. Scenarios 10 and 13 fill spaces
 * over HTTP. Scenario 12 drives a real `cairn-server` process with an open-loop load of simulated clients
 * holding live streams, then checks the log.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { Agent, get as httpGet } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { WireEvent } from '@cairn/core/protocol'
import Database from 'better-sqlite3'
import postgres from 'postgres'
import { body as noteBody } from '../pages/domain'
import { repoRoot } from './paths'

export const PG_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test'

export interface IngestRow {
  storage: string
  path: string
  events: number
  batch: number
  seconds: number
  eventsPerSecond: number
}

function run(cmd: string, args: string[], timeoutMs: number): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (c) => (out += c))
    child.stderr.on('data', (c) => (out += c))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, out })
    })
  })
}

/** Runs the server's own ingest benchmark; returns its rows (or throws with its output). */
export async function runIngest(events: number, postgresToo: boolean): Promise<IngestRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-bench-ingest-'))
  const json = join(dir, 'ingest.json')
  try {
    const args = ['packages/server/bench/ingest.ts', '--events', String(events), '--batch', '500', '--json', json]
    if (!postgresToo) args.push('--no-postgres')
    else args.push('--pg-url', PG_URL)
    const { code, out } = await run(join(repoRoot, 'node_modules', '.bin', 'tsx'), args, 240_000)
    if (code !== 0) {
      const lines = out.trim().split('\n')
      const first = lines.filter((l) => /error|failed/i.test(l) && !/^\s+at /.test(l)).slice(0, 3)
      throw new Error(`ingest.ts exited with ${code}: ${(first.length ? first : lines.slice(-4)).join(' | ')}`)
    }
    return (JSON.parse(readFileSync(json, 'utf8')) as { rows: IngestRow[] }).rows
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** The rows ingest.ts writes, for the raw baselines (same shape: 50 streams per batch, small payloads). */
function rows(total: number, batch: number) {
  const out: { id: string; stream: string; version: number; type: string; data: string; meta: string }[][] = []
  const versions = new Map<string, number>()
  for (let b = 0; b * batch < total; b++) {
    const chunk = []
    for (let i = 0; i < batch && b * batch + i < total; i++) {
      const stream = `card:raw-${b % 20}-${i % 50}`
      const version = (versions.get(stream) ?? 0) + 1
      versions.set(stream, version)
      chunk.push({
        id: `raw-${b}-${i}`,
        stream,
        version,
        type: 'CardMoved',
        data: JSON.stringify({ column: 'doing', position: i, title: `card ${i} of batch ${b}` }),
        meta: JSON.stringify({ clientId: 'bench', issuedAt: '2026-01-01T00:00:00.000Z' }),
      })
    }
    out.push(chunk)
  }
  return out
}

/** better-sqlite3 alone: the same rows, the server's table shape and durability, one transaction per 500. */
export function rawSqlite(total: number, batch = 500): number {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-bench-rawsqlite-'))
  try {
    const db = new Database(join(dir, 'raw.db'))
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = FULL')
    db.exec(`CREATE TABLE events (space TEXT NOT NULL, seq INTEGER NOT NULL, id TEXT NOT NULL, stream TEXT NOT NULL,
      version INTEGER NOT NULL, type TEXT NOT NULL, data TEXT NOT NULL, meta TEXT, client_id TEXT NOT NULL,
      created_at INTEGER NOT NULL, PRIMARY KEY (space, seq)) WITHOUT ROWID;
      CREATE UNIQUE INDEX events_id ON events (space, id);
      CREATE UNIQUE INDEX events_stream_version ON events (space, stream, version);`)
    const insert = db.prepare(
      'INSERT INTO events (space, seq, id, stream, version, type, data, meta, client_id, created_at) VALUES (?,?,?,?,?,?,?,?,?,?)',
    )
    let seq = 0
    const tx = db.transaction((chunk: ReturnType<typeof rows>[number]) => {
      const now = Date.now()
      for (const r of chunk) insert.run('raw', ++seq, r.id, r.stream, r.version, r.type, r.data, r.meta, 'bench', now)
    })
    const batches = rows(total, batch)
    const start = performance.now()
    for (const chunk of batches) tx(chunk)
    const seconds = (performance.now() - start) / 1000
    db.close()
    return total / seconds
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** postgres.js alone: the same rows as multi-row INSERTs, one transaction per 500, in a schema of our own. */
export async function rawPostgres(total: number, batch = 500): Promise<number> {
  const schema = `bench_raw_${process.pid}`
  const sql = postgres(PG_URL, { max: 1, onnotice: () => {}, connect_timeout: 5 })
  try {
    await sql.unsafe(`CREATE SCHEMA ${schema}`)
    await sql.unsafe(`CREATE TABLE ${schema}.events (space TEXT NOT NULL, seq BIGINT NOT NULL, id TEXT NOT NULL,
      stream TEXT NOT NULL, version INTEGER NOT NULL, type TEXT NOT NULL, data JSONB NOT NULL, meta JSONB,
      client_id TEXT NOT NULL, created_at BIGINT NOT NULL, PRIMARY KEY (space, seq));
      CREATE UNIQUE INDEX ON ${schema}.events (space, id);
      CREATE UNIQUE INDEX ON ${schema}.events (space, stream, version);`)
    const batches = rows(total, batch)
    let seq = 0
    const start = performance.now()
    for (const chunk of batches) {
      const now = Date.now()
      const values = chunk.map((r) => ({
        space: 'raw',
        seq: ++seq,
        id: r.id,
        stream: r.stream,
        version: r.version,
        type: r.type,
        data: r.data,
        meta: r.meta,
        client_id: 'bench',
        created_at: now,
      }))
      await sql.begin((tx) => tx`INSERT INTO ${sql(schema)}.events ${sql(values)}`)
    }
    return total / ((performance.now() - start) / 1000)
  } finally {
    await sql.unsafe(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => {})
    await sql.end({ timeout: 5 })
  }
}

/** One socket per live stream, as many as asked. */
const liveAgent = new Agent({ keepAlive: false, maxSockets: Number.POSITIVE_INFINITY })

/**
 * Fills a space fast for scenarios 10 and 13: `n` `note` events (one `NoteAdded` per note, the bench domain's
 * shape, notes `<prefix>0` … `<prefix><n-1>`) pushed over HTTP in batches of `batch`. Returns the id of the last
 * note. Spaces meant for one database need distinct prefixes: a stream (and a row) belongs to one space.
 */
export async function fillSpace(
  url: string,
  space: string,
  n: number,
  batch = 500,
  prefix = 'n',
  /** Seals each event (scenario 14: an end-to-end encrypted space), before the timing starts. */
  seal?: (event: WireEvent) => Promise<WireEvent>,
): Promise<{ ms: number; lastId: string }> {
  const base = `${url}/v1/spaces/${space}`
  const bodies: string[] = []
  for (let b = 0; b < n; b += batch) {
    let events: WireEvent[] = []
    for (let i = b; i < Math.min(n, b + batch); i++)
      events.push({
        id: `${space}-${i}`,
        stream: `note:${prefix}${i}`,
        version: 1,
        type: 'NoteAdded',
        data: { title: `note ${i}`, body: noteBody(i) },
      })
    if (seal) events = await Promise.all(events.map(seal))
    bodies.push(JSON.stringify({ clientId: 'filler', events }))
  }
  const start = performance.now()
  // Sequential: the log's order is the fill order (seq i+1 is note <prefix><i>).
  for (const body of bodies) {
    const res = await fetch(`${base}/push`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
    const text = await res.text()
    if (res.status !== 200) throw new Error(`fill push ${res.status}: ${text.slice(0, 200)}`)
  }
  return { ms: performance.now() - start, lastId: `${prefix}${n - 1}` }
}

export interface OpenLoopResult {
  clients: number
  /** Pushes per second per client (scheduled). */
  rate: number
  seconds: number
  /** Push latency from its scheduled time (so a server falling behind shows as latency, not fewer samples). */
  pushLatencies: number[]
  /** Scheduled pushes never sent: the client was still behind when the step's grace period ended. */
  missed: number
  failedRequests: number
  firstErrors: string[]
  /** CPU time over the push schedule, in % of one core: the server process and this (load generator) process. */
  cpu: { server?: number; generator: number }
  /** Live messages received over all streams, and events they carried on the checked streams. */
  liveMessages: number
  liveEventsChecked: number
  violations: string[]
  head: number
  events: number
}

/**
 * Open-loop load for scenario 12: `clients` simulated clients in one space, each with its live (SSE) stream open
 * (unless `live` is false),
 * each pushing one event to its own stream every 1/`rate` s on a fixed schedule (phases spread evenly), one push
 * in flight per client as Cairn's engine does. Latency is measured from the scheduled time. `checked` of the
 * streams are parsed and must carry seq 1..head without gap or repeat; the others are drained. Then the whole
 * log is checked (seq 1..N, every accepted id exactly once). Bounded: the schedule ends after `seconds`, a
 * client still behind `grace` s later stops (its unsent pushes are counted as missed).
 */
export async function openLoopLoad(
  url: string,
  clients: number,
  rate: number,
  seconds: number,
  {
    checked = 4,
    grace = 5,
    warmup = 1,
    serverPid,
    live = true,
  }: { checked?: number; grace?: number; warmup?: number; serverPid?: number; live?: boolean } = {},
): Promise<OpenLoopResult> {
  const space = `open-${clients}x${String(rate).replace(/\W/g, '_')}-${Date.now()}`
  const base = `${url}/v1/spaces/${space}`
  const accepted = new Map<string, number>()
  const violations: string[] = []
  const firstErrors: string[] = []
  const pushLatencies: number[] = []
  let failedRequests = 0
  let missed = 0
  let liveMessages = 0
  let liveEventsChecked = 0
  const fail = (what: string) => {
    failedRequests++
    if (firstErrors.length < 5) firstErrors.push(what)
  }

  // Live streams first, all open (their `ready` seen) before the first push. Read with node:http, whose
  // 'data' events cost the load generator far less than fetch's web streams (it shares the cores).
  let closing = false
  const lastSeen: number[] = Array.from({ length: clients }, () => 0)
  const streams = await Promise.all(
    Array.from(
      { length: live ? clients : 0 },
      (_, c) =>
        new Promise<{ close: () => void; closed: Promise<void> }>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`live stream ${c}: no ready within 10 s`)), 10_000)
          const parse = c < checked
          let text = ''
          let closedResolve: () => void = () => {}
          const closed = new Promise<void>((r) => (closedResolve = r))
          const req = httpGet(`${base}/live?after=0`, { agent: liveAgent, headers: { accept: 'text/event-stream' } })
          const ready = () => {
            clearTimeout(timer)
            resolve({ close: () => req.destroy(), closed })
          }
          req.on('error', (e) => {
            closedResolve()
            if (closing) return
            clearTimeout(timer)
            reject(e)
            fail(`live ${c}: ${e.message}`)
          })
          req.on('close', () => closedResolve())
          req.on('response', (res) => {
            if (res.statusCode !== 200) {
              clearTimeout(timer)
              reject(new Error(`live stream ${c}: ${res.statusCode}`))
              res.resume()
              return
            }
            res.setEncoding('utf8')
            res.on('error', () => {})
            res.on('data', (chunk: string) => {
              if (!parse) {
                // Drained: count messages cheaply, watch for `ready`.
                for (let i = chunk.indexOf('event: events'); i >= 0; i = chunk.indexOf('event: events', i + 1))
                  liveMessages++
                if (chunk.includes('event: ready')) ready()
                return
              }
              text += chunk
              for (let end = text.indexOf('\n\n'); end >= 0; end = text.indexOf('\n\n')) {
                const message = text.slice(0, end)
                text = text.slice(end + 2)
                const type = /^event: (.*)$/m.exec(message)?.[1]
                const data = message
                  .split('\n')
                  .filter((l) => l.startsWith('data: '))
                  .map((l) => l.slice(6))
                  .join('\n')
                if (type === 'ready') ready()
                if (type !== 'events') continue
                liveMessages++
                for (const e of (JSON.parse(data) as { events: { seq: number }[] }).events) {
                  if (e.seq !== lastSeen[c]! + 1 && violations.length < 20)
                    violations.push(`live stream ${c}: seq ${e.seq} after ${lastSeen[c]}`)
                  lastSeen[c] = e.seq
                  liveEventsChecked++
                }
              }
            })
          })
        }),
    ),
  )

  const period = 1000 / rate
  const t0 = performance.now() + 50
  // Pushes scheduled in the first `warmup` s (connections being opened, JIT) are made and checked, not timed.
  const timedFrom = t0 + warmup * 1000
  const cpuBefore = { server: serverCpu(serverPid), generator: process.cpuUsage(), at: performance.now() }
  const scheduleEnd = t0 + seconds * 1000
  const stopAt = scheduleEnd + grace * 1000
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)))
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      const phase = (c / clients) * period
      for (let k = 0; ; k++) {
        const due = t0 + phase + k * period
        if (due >= scheduleEnd) return
        if (performance.now() >= stopAt) {
          missed += Math.ceil((scheduleEnd - due) / period)
          return
        }
        await sleep(due - performance.now())
        const id = `c${c}-${k + 1}`
        try {
          const res = await fetch(`${base}/push`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({
              clientId: `c${c}`,
              events: [
                {
                  id,
                  stream: `note:c${c}`,
                  version: k + 1,
                  type: 'NoteAdded',
                  data: { title: `client ${c} event ${k + 1}`, body: 'x'.repeat(60) },
                },
              ],
            }),
          })
          const text = await res.text()
          if (res.status !== 200) {
            fail(`push ${res.status} ${text.slice(0, 120)}`)
            return // its stream's versions would no longer line up
          }
          if (due >= timedFrom) pushLatencies.push(performance.now() - due)
          for (const a of (JSON.parse(text) as { accepted: { id: string; seq: number }[] }).accepted) {
            if (accepted.has(a.id)) violations.push(`id ${a.id} accepted twice`)
            accepted.set(a.id, a.seq)
          }
        } catch (e) {
          fail(`push: ${(e as Error).message}`)
          return
        }
      }
    }),
  )

  const wall = (performance.now() - cpuBefore.at) / 1000
  const used = process.cpuUsage(cpuBefore.generator)
  const serverAfter = serverCpu(serverPid)
  const cpu = {
    generator: ((used.user + used.system) / 1e6 / wall) * 100,
    ...(serverAfter !== undefined && cpuBefore.server !== undefined
      ? { server: ((serverAfter - cpuBefore.server) / wall) * 100 }
      : {}),
  }
  // The checked live streams must reach the head (bounded wait), then every stream is closed.
  const headNow = accepted.size
  const until = performance.now() + 10_000
  const watched = live ? Math.min(checked, clients) : 0
  while (lastSeen.slice(0, watched).some((s) => s < headNow) && performance.now() < until) await sleep(20)
  for (let c = 0; c < watched; c++)
    if (lastSeen[c]! < headNow) violations.push(`live stream ${c} stopped at seq ${lastSeen[c]} of ${headNow}`)
  closing = true
  for (const s of streams) s.close()
  await Promise.all(streams.map((s) => s.closed))

  const log = await checkLog(base, accepted)
  violations.push(...log.violations)
  return {
    clients,
    rate,
    seconds,
    pushLatencies,
    missed,
    failedRequests,
    firstErrors,
    cpu,
    liveMessages,
    liveEventsChecked,
    violations,
    head: log.head,
    events: log.events,
  }
}

/** CPU seconds (user + system) a process has used, from /proc (Linux); undefined elsewhere. */
function serverCpu(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    // utime and stime are fields 14 and 15 of stat (11 and 12 after the command name), in clock ticks (100/s).
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch {
    return undefined
  }
}

/** The whole log of a space, checked: seq 1..N without gaps, every id once, exactly the accepted ids and seqs. */
async function checkLog(base: string, accepted: Map<string, number>) {
  const violations: string[] = []
  const seen = new Map<string, number>()
  let after = 0
  let head = 0
  for (;;) {
    const res = await fetch(`${base}/pull?after=${after}&limit=1000`)
    const page = (await res.json()) as { events: { id: string; seq: number }[]; head: number }
    head = page.head
    if (page.events.length === 0) break
    for (const e of page.events) {
      if (e.seq !== after + 1 && violations.length < 20) violations.push(`log: seq ${e.seq} after ${after}`)
      if (seen.has(e.id) && violations.length < 20) violations.push(`log: id ${e.id} twice`)
      seen.set(e.id, e.seq)
      after = e.seq
    }
  }
  if (seen.size !== accepted.size) violations.push(`log holds ${seen.size} events, ${accepted.size} were accepted`)
  for (const [id, seq] of accepted) {
    if (seen.get(id) !== seq) {
      violations.push(`accepted ${id} as seq ${seq}, log has ${seen.get(id)}`)
      if (violations.length > 20) break
    }
  }
  if (head !== seen.size) violations.push(`head ${head} but ${seen.size} events`)
  return { violations, head, events: seen.size }
}
