import type { Table, Transaction } from 'dexie'
import { type CairnError, HandlerError } from '../domain/errors'
import type { RecordedEvent } from '../domain/events'
import type { ProjectionTx } from '../domain/projection'
import type { IndexKey, ReadTable } from '../domain/read-table'
import type { UndoRecord } from '../store/records'
import { ROW_SPACE } from '../store/schema'
import type { LoadedDomain, RuntimeProjection } from './loaded-domain'
import { parseStream } from './loaded-domain'
import type { RowOverlay } from './row-overlay'
import { isConstraintError, toStorageError } from './storage-errors'

/** Reads a row's primary key from the projection's key spec (`id` or `[a+b]`). */
export function primaryKeyOf(spec: string, row: unknown): IndexKey {
  const r = row as Record<string, IndexKey>
  if (spec.startsWith('['))
    return spec
      .slice(1, -1)
      .split('+')
      .map((k) => r[k] as IndexKey)
  const key = r[spec]
  if (key === undefined) throw new TypeError(`row has no primary key '${spec}'`)
  return key
}

/**
 * Collects pipelined writes' failures. Writes are not awaited one by one (IndexedDB keeps their order), and
 * their promises must not be awaited with native combinators at the end of a transaction either: with no
 * request pending, IndexedDB commits while the await is in flight. Instead the caller awaits one last Dexie
 * operation — by then every earlier request has settled — and calls `throwIfFailed()` synchronously; or it gives
 * an `onFailure` that aborts the transaction, so that a transaction that commits had no failed write.
 * Each write names its table (`source`), so a caller can tell a read-model constraint from a log conflict.
 */
export class WriteSink {
  private failure: { error: unknown; source: string } | undefined

  /** `onFailure` hears every failure as it happens (a raw request's in its error event, see `trackRequest`). */
  constructor(private readonly onFailure?: (error: unknown, source: string) => void) {}

  /** Starts tracking a write to `source` (a table name); a synchronous throw counts as a failure too. */
  track(write: () => Promise<unknown>, source = ''): void {
    try {
      write().catch((error: unknown) => this.fail(error, source))
    } catch (error) {
      this.fail(error, source)
    }
  }

  /**
   * Tracks a raw IndexedDB request: its failure is reported from its error event itself, before IndexedDB can
   * commit, and kept from aborting the transaction by itself (the caller's `onFailure` decides). No promise.
   */
  trackRequest(issue: () => IDBRequest, source: string): void {
    try {
      const request = issue()
      request.onerror = (event) => {
        event.preventDefault()
        event.stopPropagation()
        this.fail(request.error, source)
      }
    } catch (error) {
      this.fail(error, source)
    }
  }

  /** The first failure, if any, with the table it was written to. */
  get failed(): { error: unknown; source: string } | undefined {
    return this.failure
  }

  throwIfFailed(): void {
    if (this.failure) throw this.failure.error
  }

  private fail(error: unknown, source: string): void {
    this.failure ??= { error, source }
    this.onFailure?.(error, source)
  }
}

/**
 * What a handler's table access is reported to while an event is applied: the rows it is about to write (with
 * their before-image), the rows it read without writing, and reads through an index (the whole table).
 */
export interface RowRecorder {
  /** `read` reads the row's current state (the chunk's overlay during a catch-up); `table.get` by default. */
  record(table: Table, key: IndexKey, before?: unknown, read?: (key: IndexKey) => Promise<unknown>): Promise<void>
  noteRead(table: Table, key: IndexKey): void | Promise<void>
  /** Synchronous: it runs inside the `table` getter, before the table is handed out. */
  noteTableRead(table: Table): void
}

/** The key of a table-read marker in the undo log: an empty array, which no read-model row has as its key. */
export const TABLE_READ: IndexKey = []

/**
 * Records, in the undo log, the before-image of each row a pending event writes (once per row), and markers of
 * what it read without writing (a rebase uses them to tell whether pulled events could change its outcome).
 */
export class UndoRecorder implements RowRecorder {
  private readonly seen = new Set<string>()
  private readonly read = new Set<string>()
  constructor(
    private readonly undo: Table<UndoRecord>,
    private readonly lpos: number,
    private readonly writes: WriteSink,
    /** First free sequence number at `lpos` (0 for a fresh event; a rebuild continues after existing rows). */
    private n: number,
  ) {}

  async record(
    table: Table,
    key: IndexKey,
    before?: unknown,
    read?: (key: IndexKey) => Promise<unknown>,
  ): Promise<void> {
    const id = `${table.name}|${keyId(key)}`
    if (this.seen.has(id)) return
    this.seen.add(id)
    const image = before === undefined ? await (read ? read(key) : table.get(key)) : before
    this.add({ table: table.name, key, before: image })
  }

  noteRead(table: Table, key: IndexKey): void {
    const id = `${table.name}|${keyId(key)}`
    if (this.seen.has(id) || this.read.has(id)) return
    this.read.add(id)
    this.add({ table: table.name, key, before: undefined, read: 'row' })
  }

  noteTableRead(table: Table): void {
    const id = `${table.name}|*`
    if (this.read.has(id)) return
    this.read.add(id)
    this.add({ table: table.name, key: TABLE_READ, before: undefined, read: 'table' })
  }

  private add(entry: Omit<UndoRecord, 'lpos' | 'n'>): void {
    const row = { lpos: this.lpos, n: this.n++, ...entry }
    this.writes.track(() => this.undo.add(row), 'undo')
  }
}

/**
 * Before-images kept in memory while one event is applied in guarded mode, to put the rows back if the
 * handler throws or one of its writes fails (IndexedDB has no savepoints).
 */
class SavePoint {
  private readonly images = new Map<string, { key: IndexKey; before: unknown }>()

  async remember(table: Table, key: IndexKey, before?: unknown): Promise<void> {
    const id = JSON.stringify(key)
    if (this.images.has(id)) return
    this.images.set(id, { key, before: before === undefined ? await table.get(key) : before })
  }

  restore(table: Table, writes: WriteSink): void {
    for (const { key, before } of this.images.values()) {
      if (before === undefined) writes.track(() => table.delete(key), table.name)
      else writes.track(() => table.put(before), table.name)
    }
  }
}

/** A map key telling apart every IndexedDB key (`1` and `'1'`, a Date and its ISO string, …). */
export function keyId(key: IndexKey): string {
  if (typeof key === 'string') return `s${key}`
  if (typeof key === 'number') return `n${key}`
  if (key instanceof Date) return `d${key.getTime()}`
  if (Array.isArray(key)) return `a${JSON.stringify(key.map(keyId))}`
  if (ArrayBuffer.isView(key)) return `b${new Uint8Array(key.buffer, key.byteOffset, key.byteLength).join(',')}`
  if (key instanceof ArrayBuffer) return `b${new Uint8Array(key).join(',')}`
  // Not a valid key: the bulk write fails on it (a DataError), like a put would.
  return `x${String(key)}`
}

/**
 * The handler-facing table. Writes are pipelined (not awaited one by one: IndexedDB keeps their order, and
 * later reads in the same transaction see them); their failures surface when the caller awaits the sink.
 * With an overlay (a catch-up chunk), writes go to it and reads see it first.
 */
function projectionTx(
  table: Table,
  keySpec: string,
  space: string,
  undo: RowRecorder | undefined,
  writes: WriteSink,
  save?: SavePoint,
  overlay?: RowOverlay,
): ProjectionTx<unknown> {
  if (overlay) return overlayTx(overlay, space, undo)
  const before = async (key: IndexKey, row?: unknown) => {
    if (undo) await undo.record(table, key, row)
    if (save) await save.remember(table, key, row)
  }
  return {
    get: async (key) => {
      await undo?.noteRead(table, key)
      return table.get(key)
    },
    put: async (row) => {
      await before(primaryKeyOf(keySpec, row))
      writes.track(() => table.put(inSpace(row, space)), table.name)
    },
    update: async (key, changes) => {
      const row = await table.get(key)
      if (row === undefined) {
        // Its outcome depends on the row's absence: a read.
        await undo?.noteRead(table, key)
        return false
      }
      await before(key, row)
      const next = typeof changes === 'function' ? changes(row) : { ...(row as object), ...(changes as object) }
      writes.track(() => table.put(inSpace(next, space)), table.name)
      return true
    },
    delete: async (key) => {
      await before(key)
      writes.track(() => table.delete(key), table.name)
    },
    get table() {
      undo?.noteTableRead(table)
      return table as unknown as ReadTable<unknown>
    },
  }
}

/** The row as stored: with the space of the event that wrote it (`ROW_SPACE`), so queries can filter by space. */
function inSpace(row: unknown, space: string): object {
  return { ...(row as object), [ROW_SPACE]: space }
}

/** {@link projectionTx} over a chunk's overlay: before-images (for undo) are read from the overlay, then the table. */
function overlayTx(overlay: RowOverlay, space: string, undo: RowRecorder | undefined): ProjectionTx<unknown> {
  const read = (key: IndexKey) => overlay.get(key)
  const table = overlay.table
  return {
    get: async (key) => {
      await undo?.noteRead(table, key)
      return read(key)
    },
    put: async (row) => {
      if (undo) await undo.record(table, primaryKeyOf(overlay.keySpecOf(), row), undefined, read)
      overlay.put(inSpace(row, space))
    },
    update: async (key, changes) => {
      const row = await overlay.get(key)
      if (row === undefined) {
        await undo?.noteRead(table, key)
        return false
      }
      if (undo) await undo.record(table, key, row)
      const next = typeof changes === 'function' ? changes(row) : { ...(row as object), ...(changes as object) }
      overlay.put(inSpace(next, space))
      return true
    },
    delete: async (key) => {
      if (undo) await undo.record(table, key, undefined, read)
      overlay.delete(key)
    },
    get table() {
      undo?.noteTableRead(table)
      return overlay.readable()
    },
  }
}

/** Options of {@link applyEvent} and {@link applyEventGuarded}. */
export interface ApplyOptions {
  /** Record before-images in the undo log (the event is pending: a rebase may roll it back). */
  recordUndo: boolean
  writes: WriteSink
  /** First free undo sequence number at the event's position (see UndoRecorder). */
  undoStart?: number
  /** Per read-model table name, the overlay a catch-up chunk writes into (see RowOverlay); absent: the table. */
  overlays?: ReadonlyMap<string, RowOverlay>
  /** Where row access is reported instead of the undo log (a rebase's trial run; `applyEvent` only). */
  recorder?: RowRecorder
}

/**
 * Applies one event to the given projections inside the caller's transaction. A throwing handler is
 * rethrown as HandlerError so that the caller aborts the whole transaction. Tables are taken from `tx`
 * itself, not from Dexie's ambient zone: handlers are user code that may await anything, and Dexie loses
 * its zone after enough native awaits (its operations would then silently run in their own transactions).
 */
export async function applyEvent(
  tx: Transaction,
  projections: readonly RuntimeProjection[],
  event: RecordedEvent,
  options: ApplyOptions,
): Promise<void> {
  let undo: RowRecorder | undefined = options.recorder
  for (const p of projections) {
    const handler = p.on[event.type]
    if (!handler) continue
    if (options.recordUndo && !undo) {
      undo = new UndoRecorder(tx.table('undo'), event.position, options.writes, options.undoStart ?? 0)
    }
    try {
      const overlay = options.overlays?.get(p.tableName)
      await handler(
        projectionTx(tx.table(p.tableName), p.table.key, event.space, undo, options.writes, undefined, overlay),
        event,
      )
    } catch (cause) {
      throw new HandlerError(`projection '${p.name}' handling ${event.type}`, cause)
    }
  }
}

/** A projection that could not apply an event: what the quarantine records. */
export interface ProjectionFailure {
  projection: string
  error: CairnError
}

/**
 * Applies one event like {@link applyEvent}, but isolates each projection's failure: when a handler throws or
 * one of its writes fails (a unique index, data that cannot be stored), that projection's writes for this
 * event are undone and the failure returned, so the caller can quarantine the event and move on. Costs one
 * read round trip per handled event (to see its writes settle): use it after an optimistic attempt failed.
 * A storage failure that is not about this event (quota, a closed database) is rethrown.
 */
export async function applyEventGuarded(
  tx: Transaction,
  projections: readonly RuntimeProjection[],
  event: RecordedEvent,
  options: ApplyOptions,
): Promise<ProjectionFailure[]> {
  const failures: ProjectionFailure[] = []
  let undo: UndoRecorder | undefined
  for (const p of projections) {
    const handler = p.on[event.type]
    if (!handler) continue
    if (options.recordUndo && !undo) {
      undo = new UndoRecorder(tx.table('undo'), event.position, options.writes, options.undoStart ?? 0)
    }
    const table = tx.table(p.tableName)
    const writes = new WriteSink()
    const save = new SavePoint()
    let error: CairnError | undefined
    try {
      await handler(projectionTx(table, p.table.key, event.space, undo, writes, save), event)
    } catch (cause) {
      error = new HandlerError(`projection '${p.name}' handling ${event.type}`, cause)
    }
    // Requests settle in order: once this read is back, every write the handler issued has settled.
    await tx.table('meta').get('cursor')
    const failed = writes.failed
    if (!error && failed) {
      if (!isEventFailure(failed.error)) throw failed.error
      error = toStorageError(failed.error)
    }
    if (error) {
      save.restore(table, options.writes)
      failures.push({ projection: p.name, error })
    }
  }
  return failures
}

/** Storage failures caused by the event's own data or rows (not by the database as a whole). */
function isEventFailure(error: unknown): boolean {
  return isConstraintError(error) || storageCode(error) === 'NOT_CLONEABLE' || isDataError(error)
}

function storageCode(error: unknown): string {
  return toStorageError(error).code
}

function isDataError(error: unknown): boolean {
  const name = (error as { name?: unknown } | null)?.name
  const inner = (error as { inner?: { name?: unknown } } | null)?.inner?.name
  return name === 'DataError' || inner === 'DataError'
}

/** The inline projections that read events of the aggregate owning `stream`. */
export function inlineProjectionsFor(loaded: LoadedDomain, stream: string): readonly RuntimeProjection[] {
  return loaded.projectionsOf(parseStream(stream).aggregate).filter((p) => p.mode === 'inline')
}
