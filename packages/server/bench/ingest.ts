/**
 * Server ingest benchmark: events/s for batches of 500, SQLite and PostgreSQL, directly through the
 * storage adapter and over HTTP to a real listening server on loopback.
 *
 *   npx tsx packages/server/bench/ingest.ts [--events 20000] [--batch 500] [--json out.json] [--no-postgres]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import type { WireEvent } from '@cairn/core/protocol'
import { startServer } from '../src/start.js'
import { createPostgresStorage, dropPostgresSchema } from '../src/storage/postgres.js'
import { createSqliteStorage } from '../src/storage/sqlite.js'
import type { SyncStorage } from '../src/storage/types.js'

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '20000' },
    batch: { type: 'string', default: '500' },
    json: { type: 'string' },
    'pg-url': { type: 'string', default: process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test' },
    'no-postgres': { type: 'boolean', default: false },
  },
})
const TOTAL = Number(values.events)
const BATCH = Number(values.batch)
const CLIENTS = 4

interface Row {
  storage: string
  path: string
  events: number
  batch: number
  seconds: number
  eventsPerSecond: number
}

/** Batches of a run: 50 streams per batch, versions continuing per stream, realistic small payloads. */
function makeBatches(prefix: string): WireEvent[][] {
  const batches: WireEvent[][] = []
  const versions = new Map<string, number>()
  for (let b = 0; b * BATCH < TOTAL; b++) {
    const batch: WireEvent[] = []
    for (let i = 0; i < BATCH && b * BATCH + i < TOTAL; i++) {
      const stream = `card:${prefix}-${b % 20}-${i % 50}`
      const version = (versions.get(stream) ?? 0) + 1
      versions.set(stream, version)
      batch.push({
        id: `${prefix}-${b}-${i}`,
        stream,
        version,
        type: 'CardMoved',
        data: { column: 'doing', position: i, title: `card ${i} of batch ${b}` },
        meta: { clientId: 'bench', issuedAt: '2026-01-01T00:00:00.000Z' },
      })
    }
    batches.push(batch)
  }
  return batches
}

async function timed(run: () => Promise<void>): Promise<number> {
  const start = performance.now()
  await run()
  return (performance.now() - start) / 1000
}

async function direct(storage: SyncStorage, prefix: string): Promise<number> {
  const batches = makeBatches(prefix)
  return timed(async () => {
    for (const batch of batches) {
      const result = await storage.append(`bench-${prefix}`, 'bench', batch)
      if (!result.ok) throw new Error(`append failed: ${result.code}`)
    }
  })
}

async function overHttp(storage: SyncStorage, prefix: string, clients: number): Promise<number> {
  const server = await startServer({ port: 0, storage, rateLimit: false, closeStorage: false })
  try {
    const batches = makeBatches(prefix)
    const bodies = batches.map((events) => JSON.stringify({ clientId: 'bench', events }))
    let next = 0
    return await timed(async () => {
      await Promise.all(
        Array.from({ length: clients }, async () => {
          while (next < bodies.length) {
            const body = bodies[next++]!
            const res = await fetch(`${server.url}/v1/spaces/bench-${prefix}/push`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body,
            })
            if (res.status !== 200) throw new Error(`push failed: ${res.status} ${await res.text()}`)
            await res.arrayBuffer()
          }
        }),
      )
    })
  } finally {
    await server.close()
  }
}

async function measure(name: string, storage: SyncStorage, rows: Row[]): Promise<void> {
  const add = (path: string, seconds: number) =>
    rows.push({
      storage: name,
      path,
      events: TOTAL,
      batch: BATCH,
      seconds,
      eventsPerSecond: Math.round(TOTAL / seconds),
    })
  await direct(storage, 'warmup').catch(() => {}) // warm caches and JIT on a separate space
  add('adapter (direct)', await direct(storage, 'direct'))
  add('HTTP, 1 client', await overHttp(storage, 'http1', 1))
  add(`HTTP, ${CLIENTS} clients`, await overHttp(storage, 'http4', CLIENTS))
}

const rows: Row[] = []
const dir = mkdtempSync(join(tmpdir(), 'cairn-bench-'))
try {
  const sqlite = createSqliteStorage({ path: join(dir, 'bench.db') })
  try {
    await measure('sqlite', sqlite, rows)
  } finally {
    await sqlite.close()
  }
  if (!values['no-postgres']) {
    const url = values['pg-url']!
    const schema = `bench_${process.pid}`
    const pg = await createPostgresStorage({ url, schema })
    try {
      await measure('postgres', pg, rows)
    } finally {
      await pg.close()
      await dropPostgresSchema(url, schema)
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}

console.log(`\nCairn server ingest: ${TOTAL} events in batches of ${BATCH} (Node ${process.version})\n`)
console.log('| storage | path | events/s | seconds |')
console.log('|---|---|---:|---:|')
for (const r of rows)
  console.log(`| ${r.storage} | ${r.path} | ${r.eventsPerSecond.toLocaleString('en')} | ${r.seconds.toFixed(2)} |`)
if (values.json) {
  writeFileSync(
    values.json,
    `${JSON.stringify({ date: new Date().toISOString(), node: process.version, rows }, null, 2)}\n`,
  )
  console.log(`\nwrote ${values.json}`)
}
