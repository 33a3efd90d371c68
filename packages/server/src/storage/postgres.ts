import { randomUUID } from 'node:crypto'
import type { JsonObject, StoredWireEvent, WireEvent } from '@cairn/core/protocol'
import postgres from 'postgres'
import { ListenerRegistry } from './listeners.js'
import { batchKeys, planAppend } from './plan.js'
import type { AppendResult, LiveListener, SubjectKeyMaterial, SubjectKeyState, SyncStorage } from './types.js'

/** Options of {@link createPostgresStorage}. */
export interface PostgresStorageOptions {
  /** Connection URL, e.g. `postgres://user@127.0.0.1:5432/db`. */
  url: string
  /** Schema holding Cairn's tables (created if missing; default `cairn`). Tests use a unique one each. */
  schema?: string
  /** Maximum pool size (default 10). */
  maxConnections?: number
}

interface EventRow {
  seq: string | number
  id: string
  stream: string
  version: number
  type: string
  data: string
  meta: string | null
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/

const toEvent = (row: EventRow): StoredWireEvent => {
  const event: StoredWireEvent = {
    id: row.id,
    stream: row.stream,
    version: Number(row.version),
    type: row.type,
    data: JSON.parse(row.data) as JsonObject,
    seq: Number(row.seq),
  }
  if (row.meta !== null) event.meta = JSON.parse(row.meta) as JsonObject
  return event
}

/** `postgres://user:secret@host/db` → `host/db` (for logs: never print credentials). */
export function describePostgresUrl(url: string): string {
  try {
    const u = new URL(url)
    return `${u.host}${u.pathname}`
  } catch {
    return 'postgres'
  }
}

/**
 * PostgreSQL storage (porsager `postgres`). Each batch is one transaction that first locks the
 * space's head row (`INSERT ... ON CONFLICT DO UPDATE ... RETURNING`, a row lock like `SELECT ... FOR UPDATE`),
 * so seqs are gapless and commit in order. Commits `NOTIFY` a channel that every instance sharing the
 * database `LISTEN`s on, so live clients of any instance get every event.
 */
export async function createPostgresStorage(options: PostgresStorageOptions): Promise<SyncStorage> {
  const schema = options.schema ?? 'cairn'
  if (!SCHEMA_NAME.test(schema)) throw new Error(`invalid PostgreSQL schema name: ${schema}`)
  const s = `"${schema}"`
  const channel = `cairn_events_${schema}`.slice(0, 63)
  const sql = postgres(options.url, {
    max: options.maxConnections ?? 10,
    onnotice: () => {},
    connect_timeout: 10,
  })
  const listeners = new ListenerRegistry()

  try {
    await sql.begin(async (tx) => {
      await tx.unsafe('SELECT pg_advisory_xact_lock(hashtext($1))', [`cairn:${schema}`])
      await tx.unsafe(`CREATE SCHEMA IF NOT EXISTS ${s}`)
      await tx.unsafe(`CREATE TABLE IF NOT EXISTS ${s}.cairn_meta (key text PRIMARY KEY, value text NOT NULL)`)
      await tx.unsafe(`CREATE TABLE IF NOT EXISTS ${s}.spaces (space text PRIMARY KEY, head bigint NOT NULL)`)
      await tx.unsafe(`CREATE TABLE IF NOT EXISTS ${s}.events (
        space text NOT NULL, seq bigint NOT NULL, id text NOT NULL, stream text NOT NULL, version integer NOT NULL,
        type text NOT NULL, data text NOT NULL, meta text, client_id text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (space, seq), UNIQUE (space, id), UNIQUE (space, stream, version))`)
      await tx.unsafe(`CREATE TABLE IF NOT EXISTS ${s}.subject_keys (
        space text NOT NULL, subject text NOT NULL, kid text NOT NULL, key text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (space, subject))`)
      await tx.unsafe(`CREATE TABLE IF NOT EXISTS ${s}.forgotten_subjects (
        space text NOT NULL, subject text NOT NULL, forgotten_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (space, subject))`)
      await tx.unsafe(
        `INSERT INTO ${s}.cairn_meta (key, value) VALUES ('backend_id', $1) ON CONFLICT (key) DO NOTHING`,
        [randomUUID()],
      )
    })
  } catch (error) {
    await sql.end({ timeout: 1 })
    throw error
  }
  const [meta] = await sql.unsafe<{ value: string }[]>(`SELECT value FROM ${s}.cairn_meta WHERE key = 'backend_id'`)
  const id = meta!.value

  const onNotify = (payload: string) => {
    try {
      const { space, head } = JSON.parse(payload) as { space: string; head: number }
      listeners.emit(space, { head })
    } catch {
      // not ours
    }
  }
  // After a (re)connect we may have missed notifications: poke every subscribed space.
  const onListen = () => {
    for (const space of listeners.spaces()) listeners.emit(space, {})
  }
  const listening = await sql.listen(channel, onNotify, onListen)

  const append = (space: string, clientId: string, events: readonly WireEvent[]) =>
    sql.begin(async (tx): Promise<AppendResult> => {
      const [row] = await tx.unsafe<{ head: string }[]>(
        `INSERT INTO ${s}.spaces (space, head) VALUES ($1, 0)
         ON CONFLICT (space) DO UPDATE SET head = ${s}.spaces.head RETURNING head`,
        [space],
      )
      const head = Number(row!.head)
      const { ids, streams } = batchKeys(events)
      const [existingRows, versionRows] = await Promise.all([
        tx.unsafe<EventRow[]>(
          `SELECT seq, id, stream, version, type, data, meta FROM ${s}.events WHERE space = $1 AND id = ANY($2::text[])`,
          [space, ids],
        ),
        tx.unsafe<{ stream: string; version: number }[]>(
          `SELECT stream, MAX(version) AS version FROM ${s}.events WHERE space = $1 AND stream = ANY($2::text[]) GROUP BY stream`,
          [space, streams],
        ),
      ])
      const existing = new Map(existingRows.map((r) => [r.id, toEvent(r)]))
      const streamVersions = new Map(versionRows.map((r) => [r.stream, Number(r.version)]))
      const result = planAppend(events, { head, existing, streamVersions })
      if (!result.ok || result.stored.length === 0) return result
      const rows = result.stored
      await tx.unsafe(
        `INSERT INTO ${s}.events (space, client_id, seq, id, stream, version, type, data, meta)
         SELECT $1, $2, * FROM unnest($3::bigint[], $4::text[], $5::text[], $6::int[], $7::text[], $8::text[], $9::text[])`,
        [
          space,
          clientId,
          rows.map((e) => e.seq),
          rows.map((e) => e.id),
          rows.map((e) => e.stream),
          rows.map((e) => e.version),
          rows.map((e) => e.type),
          rows.map((e) => JSON.stringify(e.data)),
          rows.map((e) => (e.meta === undefined ? null : JSON.stringify(e.meta))),
        ],
      )
      await tx.unsafe(`UPDATE ${s}.spaces SET head = $2 WHERE space = $1`, [space, result.head])
      await tx.unsafe('SELECT pg_notify($1, $2)', [channel, JSON.stringify({ space, head: result.head })])
      return result
    })

  /** What the space holds for each of `subjects` (a tombstone wins over a key, though they never coexist). */
  const subjectStates = async (
    q: postgres.Sql | postgres.TransactionSql,
    space: string,
    subjects: readonly string[],
  ): Promise<Map<string, SubjectKeyState>> => {
    const [keys, forgotten] = await Promise.all([
      q.unsafe<(SubjectKeyMaterial & { subject: string })[]>(
        `SELECT subject, kid, key FROM ${s}.subject_keys WHERE space = $1 AND subject = ANY($2::text[])`,
        [space, [...subjects]],
      ),
      q.unsafe<{ subject: string }[]>(
        `SELECT subject FROM ${s}.forgotten_subjects WHERE space = $1 AND subject = ANY($2::text[])`,
        [space, [...subjects]],
      ),
    ])
    const found = new Map<string, SubjectKeyState>()
    for (const row of keys) found.set(row.subject, { kid: row.kid, key: row.key })
    for (const row of forgotten) found.set(row.subject, 'forgotten')
    return found
  }
  // Creating a key and forgetting a subject serialize on one advisory lock per space (both are rare): without it,
  // under READ COMMITTED a forget and a creation in flight could each miss the other's uncommitted row and leave a
  // key beside a tombstone. Reads take no lock.
  const lockSubjectKeys = (tx: postgres.TransactionSql, space: string) =>
    tx.unsafe('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`cairn-subject-keys\n${schema}\n${space}`])

  return {
    description: `postgres ${describePostgresUrl(options.url)} schema ${schema}`,
    async append(space, clientId, events) {
      const result = await append(space, clientId, events)
      if (result.ok && result.stored.length > 0) listeners.emit(space, { head: result.head, events: result.stored })
      return result
    },
    async read(space, after, limit, maxBytes) {
      if (maxBytes === undefined) {
        const rows = await sql.unsafe<EventRow[]>(
          `SELECT seq, id, stream, version, type, data, meta FROM ${s}.events WHERE space = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
          [space, after, limit],
        )
        return rows.map(toEvent)
      }
      // A running sum of payload bytes: keep the rows whose predecessors hold fewer than maxBytes, so the
      // budget is enforced in the database and the rows beyond it never cross the wire.
      const rows = await sql.unsafe<EventRow[]>(
        `SELECT seq, id, stream, version, type, data, meta FROM (
           SELECT e.seq, e.id, e.stream, e.version, e.type, e.data, e.meta,
             SUM(octet_length(e.data) + COALESCE(octet_length(e.meta), 0)) OVER (ORDER BY e.seq)
               - (octet_length(e.data) + COALESCE(octet_length(e.meta), 0)) AS before
           FROM (SELECT seq FROM ${s}.events WHERE space = $1 AND seq > $2 ORDER BY seq LIMIT $3) page
           JOIN ${s}.events e ON e.space = $1 AND e.seq = page.seq
         ) sized WHERE before < $4 ORDER BY seq`,
        [space, after, limit, maxBytes],
      )
      return rows.map(toEvent)
    },
    async find(space, ids) {
      const rows = await sql.unsafe<EventRow[]>(
        `SELECT seq, id, stream, version, type, data, meta FROM ${s}.events WHERE space = $1 AND id = ANY($2::text[])`,
        [space, [...new Set(ids)]],
      )
      return rows.map(toEvent)
    },
    async subjectKeys(space, subjects, create) {
      const asked = [...new Set(subjects)]
      const found = await subjectStates(sql, space, asked)
      const missing = asked.filter((subject) => !found.has(subject))
      if (!create || missing.length === 0) return found
      return sql.begin(async (tx) => {
        await lockSubjectKeys(tx, space)
        const made = missing.map(() => create())
        await tx.unsafe(
          `INSERT INTO ${s}.subject_keys (space, subject, kid, key)
           SELECT $1, m.subject, m.kid, m.key FROM unnest($2::text[], $3::text[], $4::text[]) AS m(subject, kid, key)
           WHERE NOT EXISTS (SELECT 1 FROM ${s}.forgotten_subjects f WHERE f.space = $1 AND f.subject = m.subject)
           ON CONFLICT (space, subject) DO NOTHING`,
          [space, missing, made.map((k) => k.kid), made.map((k) => k.key)],
        )
        return subjectStates(tx, space, asked)
      })
    },
    async forgetSubject(space, subject) {
      await sql.begin(async (tx) => {
        await lockSubjectKeys(tx, space)
        await tx.unsafe(`DELETE FROM ${s}.subject_keys WHERE space = $1 AND subject = $2`, [space, subject])
        await tx.unsafe(
          `INSERT INTO ${s}.forgotten_subjects (space, subject) VALUES ($1, $2) ON CONFLICT (space, subject) DO NOTHING`,
          [space, subject],
        )
      })
    },
    async head(space) {
      const [row] = await sql.unsafe<{ head: string }[]>(`SELECT head FROM ${s}.spaces WHERE space = $1`, [space])
      return row ? Number(row.head) : 0
    },
    async backendId() {
      return id
    },
    subscribe(space: string, listener: LiveListener) {
      return listeners.add(space, listener)
    },
    async close() {
      listeners.clear()
      await listening.unlisten().catch(() => {})
      await sql.end({ timeout: 5 })
    },
  }
}

/** Drops a schema and everything in it (for tests and resets). */
export async function dropPostgresSchema(url: string, schema: string): Promise<void> {
  if (!SCHEMA_NAME.test(schema)) throw new Error(`invalid PostgreSQL schema name: ${schema}`)
  const sql = postgres(url, { max: 1, onnotice: () => {} })
  try {
    await sql.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
  } finally {
    await sql.end({ timeout: 5 })
  }
}
