import type { EventMeta } from '../domain/events'

/** A row of the `events` table: the log. */
export interface EventRecord {
  /** Local log position, auto-incremented: the order in which this database applied events. */
  lpos?: number
  id: string
  stream: string
  version: number
  type: string
  data: Record<string, unknown>
  meta: EventMeta
  /** Server position (`seq`) once the server confirmed the event. */
  gpos?: number
}

/** Lifecycle of a journaled command. */
export type CommandStatus = 'pending' | 'confirmed' | 'rejected' | 'dismissed'

/** A row of the `commands` table: the journal of local commands, needed to re-run them on rebase. */
export interface CommandRecord {
  id: string
  path: string
  stream: string
  input: unknown
  expectedVersion?: number | string | undefined
  /** Stream version the command decided on. */
  baseVersion: number
  eventIds: string[]
  status: CommandStatus
  issuedAt: number
  result: { version: number; events: { id: string; type: string; version: number; position: number }[] }
  rejection?: { code: string; message: string; details?: unknown } | undefined
  /** When sync rejected it (ms since epoch). */
  rejectedAt?: number | undefined
}

/** A row of the `checkpoints` table. */
export interface CheckpointRecord {
  projection: string
  /** Name of the read-model table the checkpoint belongs to (it encodes version, key and indexes). */
  table: string
  /** Last local position applied. */
  position: number
  /** `ready`, or `rebuilding` while a rebuild is under way (a rebuild resumes after a restart). */
  state: 'ready' | 'rebuilding'
}

/** A row of the `undo` table: the before-image of one read-model row touched by a pending event. */
export interface UndoRecord {
  lpos: number
  n: number
  table: string
  key: unknown
  before: unknown
}

/** A row of the `snapshots` table. */
export interface SnapshotRecord {
  stream: string
  version: number
  headId: string
  snapshotVersion: number
  state: unknown
}

/** A row of the `meta` table. */
export interface MetaRecord {
  key: string
  value: unknown
}
