/**
 * Scenario 7: the server. Ingest reuses packages/server/bench/ingest.ts (spawned with tsx, its JSON read back);
 * the baselines are the raw drivers inserting the same rows in transactions of 500; the load test drives a real
 * `cairn-server` process with many concurrent simulated clients and then checks the log.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import postgres from 'postgres'
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

export interface LoadResult {
  clients: number
  seconds: number
  pushes: number
  pulls: number
  events: number
  pushLatencies: number[]
  failedRequests: number
  firstErrors: string[]
  /** Every check that failed (empty = nothing lost, nothing duplicated, seq 1..N). */
  violations: string[]
  head: number
}

/** Many simulated clients, each pushing small batches to its own stream and pulling from its cursor. */
export async function loadTest(url: string, clients: number, seconds: number, batch = 5): Promise<LoadResult> {
  const space = `load-${clients}-${Date.now()}`
  const base = `${url}/v1/spaces/${space}`
  const accepted = new Map<string, number>()
  const violations: string[] = []
  const firstErrors: string[] = []
  const pushLatencies: number[] = []
  let pushes = 0
  let pulls = 0
  let failedRequests = 0
  const fail = (what: string) => {
    failedRequests++
    if (firstErrors.length < 5) firstErrors.push(what)
  }
  const deadline = performance.now() + seconds * 1000
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      let version = 0
      let cursor = 0
      while (performance.now() < deadline) {
        const events = []
        for (let k = 1; k <= batch; k++)
          events.push({
            id: `c${c}-${version + k}`,
            stream: `note:c${c}`,
            version: version + k,
            type: 'NoteAdded',
            data: { title: `client ${c} event ${version + k}`, body: 'x'.repeat(60) },
          })
        const t = performance.now()
        try {
          const res = await fetch(`${base}/push`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-cairn-client-id': `c${c}` },
            body: JSON.stringify({ clientId: `c${c}`, events }),
          })
          const text = await res.text()
          if (res.status !== 200) {
            fail(`push ${res.status} ${text.slice(0, 120)}`)
            continue
          }
          pushLatencies.push(performance.now() - t)
          pushes++
          version += batch
          for (const a of (JSON.parse(text) as { accepted: { id: string; seq: number }[] }).accepted) {
            if (accepted.has(a.id)) violations.push(`id ${a.id} accepted twice`)
            accepted.set(a.id, a.seq)
          }
        } catch (e) {
          fail(`push: ${(e as Error).message}`)
          continue
        }
        try {
          const res = await fetch(`${base}/pull?after=${cursor}&limit=1000`)
          if (res.status !== 200) {
            fail(`pull ${res.status}`)
            continue
          }
          const page = (await res.json()) as { events: { seq: number }[] }
          pulls++
          for (const e of page.events) {
            if (e.seq !== cursor + 1) violations.push(`client ${c} pulled seq ${e.seq} after ${cursor}`)
            cursor = e.seq
          }
        } catch (e) {
          fail(`pull: ${(e as Error).message}`)
        }
      }
    }),
  )
  // The whole log, checked: seq 1..N without gaps, every id once, exactly the accepted ids with their seqs.
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
  return {
    clients,
    seconds,
    pushes,
    pulls,
    events: seen.size,
    pushLatencies,
    failedRequests,
    firstErrors,
    violations,
    head,
  }
}
