import type { SpaceKey } from '../crypto/keys'
import type { EventMeta } from '../domain/events'
import type { JsonObject } from '../protocol'

/** A row of the `events` table: the log. */
export interface EventRecord {
  /** Local log position, auto-incremented: the order in which this database applied events. */
  lpos?: number
  id: string
  /** The space (shared log) the event belongs to: its stream's space, fixed by the stream's first event. */
  space: string
  stream: string
  version: number
  type: string
  data: Record<string, unknown>
  meta: EventMeta
  /** Server position (`seq`) once the server confirmed the event. */
  gpos?: number
  /**
   * The event as the server holds it, when that differs from `data`: in an encrypted space its sealed type and
   * envelope; with personal fields, those fields sealed with their subject's key. Made once and sent again as is
   * (a new seal draws a new IV, and the server would take it for another event: `ID_REUSED`), and kept from pulls
   * (re-uploads after a server reset send exactly what the server had). Valid for `version` only: the version is
   * bound to the ciphertext, and a rebase that moves the event makes it anew.
   */
  wire?: WireForm
}

/** An event's form on the server (see {@link EventRecord.wire}). */
export interface WireForm {
  /** The version it was made for. */
  version: number
  /** The wire type: the event's type, or `'$encrypted'` when the space hides types. */
  type: string
  data: JsonObject
}

/**
 * Lifecycle of a journaled command: `pending` until the server confirms its events (`confirmed`), or
 * `rejected` by sync (its decider on a rebase, or the server's refusal: shown until `dismissed`), or `failed`
 * when it was rejected as it ran (the caller got the error; kept so a retried command id returns it again).
 * A command with an id that produced no events is journaled `confirmed`.
 */
export type CommandStatus = 'pending' | 'confirmed' | 'rejected' | 'dismissed' | 'failed'

/** A row of the `commands` table: the journal of local commands, needed to re-run them on rebase. */
export interface CommandRecord {
  id: string
  path: string
  /** The space of the command's stream. */
  space: string
  stream: string
  input: unknown
  expectedVersion?: number | string | undefined
  /** Stream version the command decided on. */
  baseVersion: number
  eventIds: string[]
  status: CommandStatus
  issuedAt: number
  result: { version: number; events: { id: string; type: string; version: number; position: number }[] }
  /** Why it was rejected; `name` is the error's kind when it was not a `CommandRejected` (e.g. `ConcurrencyError`). */
  rejection?: { name?: string; code: string; message: string; details?: unknown } | undefined
  /** When sync rejected it (ms since epoch). */
  rejectedAt?: number | undefined
  /**
   * For a command that appended nothing on a stream with pending events: the head it decided on. It stays
   * pending until that event is confirmed, and is decided again if the stream is rebased.
   */
  afterEventId?: string | undefined
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

/**
 * A row of the `undo` table: the before-image of one read-model row a pending event wrote — or, with `read`, a
 * marker that its handlers read a row they did not write (`'row'`, by `key`) or the table through an index
 * (`'table'`, key `[]`). Markers restore nothing; they tell a rebase which rows the pending event depended on
 * (META `readSetsSince`: from which position on they are recorded). Indexed by `[table+key]`, so a rebase can
 * ask whether pending work touched a row.
 */
export interface UndoRecord {
  lpos: number
  n: number
  table: string
  key: unknown
  before: unknown
  read?: 'row' | 'table'
}

/** A row of the `snapshots` table. */
export interface SnapshotRecord {
  stream: string
  version: number
  headId: string
  snapshotVersion: number
  state: unknown
}

/**
 * Meta key of the highest local position ever given out. Positions are never reused: async projections,
 * reactors and `whenProcessed` have moved past a removed event's position, so a new event there would be missed.
 */
export const HIGH_WATER = 'lposHigh'

/**
 * Free local positions left before pending work that follows a confirmed event (when syncing): events pulled
 * while that work is pending take positions there, under it, without moving it (sync/rebase-commuting.ts).
 * Positions are numbers up to 2^53: a gap of 2^20 per episode of pending work leaves room for 2^33 of them.
 */
export const PENDING_GAP = 2 ** 20

/**
 * Meta key of the first local position whose pending events have their reads recorded in the undo log (read
 * markers, see UndoRecord): set once by the first start of a version that records them. A rebase only skips
 * re-applying pending events from there on (older ones may have read rows without a trace).
 */
export const READ_SETS_SINCE = 'readSetsSince'

/** A row of the `meta` table. */
export interface MetaRecord {
  key: string
  value: unknown
}

/** A row of the `quarantine` table: an event one projection could not apply (the rest of the log moved on). */
export interface QuarantineRecord {
  projection: string
  eventId: string
  stream: string
  type: string
  /** Local log position of the event when it was quarantined. */
  position: number
  /** The error's code (`HANDLER_FAILED`, `CONSTRAINT`, `NOT_CLONEABLE`, ...). */
  code: string
  message: string
  /** When it was quarantined (ms since epoch). */
  at: number
}

/**
 * A row of the `spaces` table: a space this database has joined (sync pulls and pushes it), shared by every
 * tab and kept across reloads. Leaving a space deletes its row, its events and what was derived from them.
 */
export interface SpaceRecord {
  space: string
  /** Highest server `seq` of the space this database holds. */
  cursor: number
  /** Identity of the server's storage, as first seen; another one means the server was reset. */
  backendId?: string | undefined
  /** The space's bearer token, when the app gave one to `joinSpace` (else `getToken(space)` or the sync token). */
  token?: string | undefined
  /** When the space was joined (ms since epoch). */
  joinedAt: number
  /** End-to-end encryption of the space, when the app turned it on (`joinSpace(space, { encryption })`). */
  encryption?: SpaceEncryptionRecord | undefined
}

/**
 * A space's encryption as kept in the database: its keys (non-extractable `CryptoKey`s are stored as such:
 * IndexedDB keeps them without exposing their bytes) and whether event types are sealed too.
 */
export interface SpaceEncryptionRecord {
  /** Oldest first; the last one seals new events. Empty: encrypted, but this device has no key yet. */
  keys: SpaceKey[]
  hideTypes?: boolean
}
