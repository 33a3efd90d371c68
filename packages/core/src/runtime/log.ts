import type { Dexie } from 'dexie'
import type { CheckpointRecord, EventRecord, SpaceRecord } from '../store/records'
import type { LoadedDomain } from './loaded-domain'

/** One event as the log inspector shows it. */
export interface LogEntry {
  /** Local position. */
  position: number
  id: string
  /** The space of the event's stream. */
  space: string
  stream: string
  version: number
  type: string
  data: unknown
  /** The server's `seq` in the event's space, once confirmed. */
  serverSeq: number | null
  pending: boolean
  issuedAt: number
  clientId: string
}

/** The log and the projections' checkpoints, for developer tools. */
export interface LogSnapshot {
  /** Newest first. */
  events: LogEntry[]
  checkpoints: { projection: string; mode: 'inline' | 'async'; position: number; state: string }[]
  /** Server cursor of each joined space: the last `seq` pulled. */
  cursors: Record<string, number>
  /** Local log length (highest position). */
  head: number
}

/** Reads the newest `limit` events and every checkpoint. */
export async function readLog(db: Dexie, loaded: LoadedDomain, limit: number): Promise<LogSnapshot> {
  const [rows, checkpoints, spaces] = await Promise.all([
    db.table<EventRecord>('events').orderBy(':id').reverse().limit(limit).toArray(),
    db.table<CheckpointRecord>('checkpoints').toArray(),
    db.table<SpaceRecord>('spaces').toArray(),
  ])
  const head = rows[0]?.lpos ?? 0
  return {
    events: rows.map((e) => ({
      position: e.lpos ?? 0,
      id: e.id,
      space: e.space,
      stream: e.stream,
      version: e.version,
      type: e.type,
      data: e.data,
      serverSeq: e.gpos ?? null,
      pending: e.gpos === undefined,
      issuedAt: e.meta.issuedAt,
      clientId: e.meta.clientId,
    })),
    checkpoints: loaded.projections.map((p) => {
      const cp = checkpoints.find((c) => c.projection === p.name)
      const inlineReady = p.mode === 'inline' && cp?.state === 'ready'
      return {
        projection: p.name,
        mode: p.mode,
        position: inlineReady ? head : (cp?.position ?? 0),
        state: cp?.state ?? 'new',
      }
    }),
    cursors: Object.fromEntries(spaces.map((s) => [s.space, s.cursor])),
    head,
  }
}
