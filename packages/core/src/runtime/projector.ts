import type { Dexie, Table } from 'dexie'
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

/** Records the before-image of each row a pending event touches, once per row. */
class UndoRecorder {
  private n = 0
  private readonly seen = new Set<string>()
  constructor(
    private readonly undo: Table<UndoRecord>,
    private readonly lpos: number,
  ) {}

  async record(table: Table, key: IndexKey, before?: unknown): Promise<void> {
    const id = `${table.name}|${JSON.stringify(key)}`
    if (this.seen.has(id)) return
    this.seen.add(id)
    const image = before === undefined ? await table.get(key) : before
    await this.undo.add({ lpos: this.lpos, n: this.n++, table: table.name, key, before: image })
  }
}

function projectionTx(table: Table, keySpec: string, undo: UndoRecorder | undefined): ProjectionTx<unknown> {
  return {
    get: (key) => table.get(key),
    put: async (row) => {
      if (undo) await undo.record(table, primaryKeyOf(keySpec, row))
      await table.put(row)
    },
    update: async (key, changes) => {
      const row = await table.get(key)
      if (row === undefined) return false
      if (undo) await undo.record(table, key, row)
      const next = typeof changes === 'function' ? changes(row) : { ...(row as object), ...(changes as object) }
      await table.put(next)
      return true
    },
    delete: async (key) => {
      if (undo) await undo.record(table, key)
      await table.delete(key)
    },
    table: table as unknown as ReadTable<unknown>,
  }
}

/**
 * Applies one event to the given projections inside the caller's transaction. A throwing handler is
 * rethrown as HandlerError so that the caller aborts the whole transaction.
 */
export async function applyEvent(
  db: Dexie,
  projections: readonly RuntimeProjection[],
  event: RecordedEvent,
  options: { recordUndo: boolean },
): Promise<void> {
  let undo: UndoRecorder | undefined
  for (const p of projections) {
    const handler = p.on[event.type]
    if (!handler) continue
    if (options.recordUndo && !undo) undo = new UndoRecorder(db.table('undo'), event.position)
    try {
      await handler(projectionTx(db.table(p.tableName), p.table.key, undo), event)
    } catch (cause) {
      throw new HandlerError(`projection '${p.name}' handling ${event.type}`, cause)
    }
  }
}

/** The inline projections that read events of the aggregate owning `stream`. */
export function inlineProjectionsFor(loaded: LoadedDomain, stream: string): readonly RuntimeProjection[] {
  return loaded.projectionsOf(parseStream(stream).aggregate).filter((p) => p.mode === 'inline')
}
