import type { Table, Transaction } from 'dexie'
import { HandlerError } from '../domain/errors'
import type { RecordedEvent } from '../domain/events'
import type { ProjectionTx } from '../domain/projection'
import type { IndexKey, ReadTable } from '../domain/read-table'
import type { UndoRecord } from '../store/records'
import type { LoadedDomain, RuntimeProjection } from './loaded-domain'
import { parseStream } from './loaded-domain'

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
 * operation — by then every earlier request has settled — and calls `throwIfFailed()` synchronously.
 */
export class WriteSink {
  private failure: { error: unknown } | undefined

  /** Starts tracking a write; a synchronous throw counts as a failure too. */
  track(write: () => Promise<unknown>): void {
    try {
      write().catch((error: unknown) => {
        this.failure ??= { error }
      })
    } catch (error) {
      this.failure ??= { error }
    }
  }

  /** The first failure, if any. */
  get failed(): { error: unknown } | undefined {
    return this.failure
  }

  throwIfFailed(): void {
    if (this.failure) throw this.failure.error
  }
}

/** Records the before-image of each row a pending event touches, once per row. */
class UndoRecorder {
  private readonly seen = new Set<string>()
  constructor(
    private readonly undo: Table<UndoRecord>,
    private readonly lpos: number,
    private readonly writes: WriteSink,
    private n: number,
  ) {}

  async record(table: Table, key: IndexKey, before?: unknown): Promise<void> {
    const id = `${table.name}|${JSON.stringify(key)}`
    if (this.seen.has(id)) return
    this.seen.add(id)
    const image = before === undefined ? await table.get(key) : before
    const entry = { lpos: this.lpos, n: this.n++, table: table.name, key, before: image }
    this.writes.track(() => this.undo.add(entry))
  }
}

/**
 * The handler-facing table. Writes are pipelined (not awaited one by one: IndexedDB keeps their order, and
 * later reads in the same transaction see them); their failures surface when the caller awaits the sink.
 */
function projectionTx(
  table: Table,
  keySpec: string,
  undo: UndoRecorder | undefined,
  writes: WriteSink,
): ProjectionTx<unknown> {
  return {
    get: (key) => table.get(key),
    put: async (row) => {
      if (undo) await undo.record(table, primaryKeyOf(keySpec, row))
      writes.track(() => table.put(row))
    },
    update: async (key, changes) => {
      const row = await table.get(key)
      if (row === undefined) return false
      if (undo) await undo.record(table, key, row)
      const next = typeof changes === 'function' ? changes(row) : { ...(row as object), ...(changes as object) }
      writes.track(() => table.put(next))
      return true
    },
    delete: async (key) => {
      if (undo) await undo.record(table, key)
      writes.track(() => table.delete(key))
    },
    table: table as unknown as ReadTable<unknown>,
  }
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
  options: {
    recordUndo: boolean
    writes: WriteSink
    /** First undo sequence number: catch-ups of different projections record the same event apart. */
    undoOffset?: number
  },
): Promise<void> {
  let undo: UndoRecorder | undefined
  for (const p of projections) {
    const handler = p.on[event.type]
    if (!handler) continue
    if (options.recordUndo && !undo) {
      undo = new UndoRecorder(tx.table('undo'), event.position, options.writes, options.undoOffset ?? 0)
    }
    try {
      await handler(projectionTx(tx.table(p.tableName), p.table.key, undo, options.writes), event)
    } catch (cause) {
      throw new HandlerError(`projection '${p.name}' handling ${event.type}`, cause)
    }
  }
}

/** The inline projections that read events of the aggregate owning `stream`. */
export function inlineProjectionsFor(loaded: LoadedDomain, stream: string): readonly RuntimeProjection[] {
  return loaded.projectionsOf(parseStream(stream).aggregate).filter((p) => p.mode === 'inline')
}
