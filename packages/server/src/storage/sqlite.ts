import { randomUUID } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import type { StoredWireEvent, WireEvent } from '@cairn/core/protocol'
import Database from 'better-sqlite3'
import { ListenerRegistry } from './listeners.js'
import { batchKeys, planAppend } from './plan.js'
import type { AppendResult, LiveListener, SubjectKeyMaterial, SubjectKeyState, SyncStorage } from './types.js'

/** Options of {@link createSqliteStorage}. */
export interface SqliteStorageOptions {
  /** Database file path, or `:memory:`. Its directory is created if missing. */
  path: string
  /** How long a writer waits for another process's lock, in ms (default 5000). */
  busyTimeoutMs?: number
}

interface EventRow {
  seq: number
  id: string
  stream: string
  version: number
  type: string
  data: string
  meta: string | null
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS cairn_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS spaces (space TEXT PRIMARY KEY, head INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS events (
  space TEXT NOT NULL,
  seq INTEGER NOT NULL,
  id TEXT NOT NULL,
  stream TEXT NOT NULL,
  version INTEGER NOT NULL,
  type TEXT NOT NULL,
  data TEXT NOT NULL,
  meta TEXT,
  client_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (space, seq)
) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS events_id ON events (space, id);
CREATE UNIQUE INDEX IF NOT EXISTS events_stream_version ON events (space, stream, version);
CREATE TABLE IF NOT EXISTS subject_keys (
  space TEXT NOT NULL,
  subject TEXT NOT NULL,
  kid TEXT NOT NULL,
  key TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (space, subject)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS forgotten_subjects (
  space TEXT NOT NULL,
  subject TEXT NOT NULL,
  forgotten_at INTEGER NOT NULL,
  PRIMARY KEY (space, subject)
) WITHOUT ROWID;
`

const toEvent = (row: EventRow): StoredWireEvent => {
  const event: StoredWireEvent = {
    id: row.id,
    stream: row.stream,
    version: row.version,
    type: row.type,
    data: JSON.parse(row.data),
    seq: row.seq,
  }
  if (row.meta !== null) event.meta = JSON.parse(row.meta)
  return event
}

/**
 * SQLite storage (better-sqlite3): WAL, `synchronous = FULL` (a 200 answer means the batch is on disk),
 * one `BEGIN IMMEDIATE` transaction per batch. SQLite serializes writers, which is the per-space lock.
 * `secure_delete = ON`, and a forget checkpoints and truncates the WAL: a forgotten subject's key is then in
 * neither the database file nor the WAL (SQLite zeroes deleted content, freelist pages included).
 */
export function createSqliteStorage(options: SqliteStorageOptions): SyncStorage {
  if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true })
  const db = new Database(options.path)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = FULL')
  db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`)
  // deleted content (a forgotten subject's key) is overwritten with zeros, not left in free space or free pages
  db.pragma('secure_delete = ON')
  db.exec(SCHEMA)
  db.prepare('INSERT OR IGNORE INTO cairn_meta (key, value) VALUES (?, ?)').run('backend_id', randomUUID())
  const id = (db.prepare('SELECT value FROM cairn_meta WHERE key = ?').get('backend_id') as { value: string }).value

  const selectHead = db.prepare<[string], { head: number }>('SELECT head FROM spaces WHERE space = ?')
  const upsertHead = db.prepare<[string, number]>(
    'INSERT INTO spaces (space, head) VALUES (?, ?) ON CONFLICT (space) DO UPDATE SET head = excluded.head',
  )
  const selectById = db.prepare<[string, string], EventRow>(
    'SELECT seq, id, stream, version, type, data, meta FROM events WHERE space = ? AND id = ?',
  )
  const selectStreamVersion = db.prepare<[string, string], { version: number | null }>(
    'SELECT MAX(version) AS version FROM events WHERE space = ? AND stream = ?',
  )
  const insert = db.prepare<[string, number, string, string, number, string, string, string | null, string, number]>(
    'INSERT INTO events (space, seq, id, stream, version, type, data, meta, client_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  )
  const selectAfter = db.prepare<[string, number, number], EventRow>(
    'SELECT seq, id, stream, version, type, data, meta FROM events WHERE space = ? AND seq > ? ORDER BY seq LIMIT ?',
  )

  const appendTx = db.transaction((space: string, clientId: string, events: readonly WireEvent[]): AppendResult => {
    const head = selectHead.get(space)?.head ?? 0
    const { ids, streams } = batchKeys(events)
    const existing = new Map<string, StoredWireEvent>()
    for (const eventId of ids) {
      const row = selectById.get(space, eventId)
      if (row) existing.set(eventId, toEvent(row))
    }
    const streamVersions = new Map<string, number>()
    for (const stream of streams) streamVersions.set(stream, selectStreamVersion.get(space, stream)?.version ?? 0)
    const result = planAppend(events, { head, existing, streamVersions })
    if (!result.ok || result.stored.length === 0) return result
    const now = Date.now()
    for (const e of result.stored) {
      const meta = e.meta === undefined ? null : JSON.stringify(e.meta)
      insert.run(space, e.seq, e.id, e.stream, e.version, e.type, JSON.stringify(e.data), meta, clientId, now)
    }
    upsertHead.run(space, result.head)
    return result
  })

  const selectKey = db.prepare<[string, string], SubjectKeyMaterial>(
    'SELECT kid, key FROM subject_keys WHERE space = ? AND subject = ?',
  )
  const selectForgotten = db.prepare<[string, string], { one: number }>(
    'SELECT 1 AS one FROM forgotten_subjects WHERE space = ? AND subject = ?',
  )
  const insertKey = db.prepare<[string, string, string, string, number]>(
    'INSERT OR IGNORE INTO subject_keys (space, subject, kid, key, created_at) VALUES (?, ?, ?, ?, ?)',
  )
  const deleteKey = db.prepare<[string, string]>('DELETE FROM subject_keys WHERE space = ? AND subject = ?')
  const insertForgotten = db.prepare<[string, string, number]>(
    'INSERT OR IGNORE INTO forgotten_subjects (space, subject, forgotten_at) VALUES (?, ?, ?)',
  )

  const keysTx = db.transaction(
    (space: string, subjects: readonly string[], create: (() => SubjectKeyMaterial) | undefined) => {
      const found = new Map<string, SubjectKeyState>()
      for (const subject of subjects) {
        if (selectForgotten.get(space, subject)) {
          found.set(subject, 'forgotten')
          continue
        }
        let key = selectKey.get(space, subject)
        if (!key && create) {
          const made = create()
          insertKey.run(space, subject, made.kid, made.key, Date.now())
          key = selectKey.get(space, subject)
        }
        if (key) found.set(subject, { kid: key.kid, key: key.key })
      }
      return found
    },
  )
  const forgetTx = db.transaction((space: string, subject: string) => {
    deleteKey.run(space, subject)
    insertForgotten.run(space, subject, Date.now())
  })

  const listeners = new ListenerRegistry()

  return {
    description: `sqlite ${options.path}`,
    async append(space, clientId, events) {
      const result = appendTx.immediate(space, clientId, events)
      if (result.ok && result.stored.length > 0) listeners.emit(space, { head: result.head, events: result.stored })
      return result
    },
    async read(space, after, limit, maxBytes = Number.POSITIVE_INFINITY) {
      // iterate, so rows past the byte budget are never fetched from SQLite
      const out: StoredWireEvent[] = []
      let bytes = 0
      for (const row of selectAfter.iterate(space, after, limit)) {
        out.push(toEvent(row))
        bytes += Buffer.byteLength(row.data) + (row.meta === null ? 0 : Buffer.byteLength(row.meta))
        if (bytes >= maxBytes) break
      }
      return out
    },
    async find(space, ids) {
      const found: StoredWireEvent[] = []
      for (const eventId of new Set(ids)) {
        const row = selectById.get(space, eventId)
        if (row) found.push(toEvent(row))
      }
      return found
    },
    async subjectKeys(space, subjects, create) {
      // a read needs no write lock; a creation takes it (BEGIN IMMEDIATE), so concurrent creators agree
      return create ? keysTx.immediate(space, subjects, create) : keysTx.deferred(space, subjects, undefined)
    },
    async forgetSubject(space, subject) {
      forgetTx.immediate(space, subject)
      // The deleted row is zeroed in its page (secure_delete), but the WAL still holds the frames written when the
      // key was stored: copy the WAL into the database and truncate it to zero bytes. Best effort: a reader in
      // another process can hold it back (busy), and then the next forget or the last close does it.
      db.pragma('wal_checkpoint(TRUNCATE)')
    },
    async head(space) {
      return selectHead.get(space)?.head ?? 0
    },
    async backendId() {
      return id
    },
    subscribe(space: string, listener: LiveListener) {
      return listeners.add(space, listener)
    },
    async close() {
      listeners.clear()
      if (db.open) db.close()
    },
  }
}
