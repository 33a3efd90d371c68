import type { RecordedEvent } from './events'
import type { ProjectionTx } from './projection'
import type { IndexKey } from './read-table'

/** How one event type maps onto a row. */
export interface FromEventSpec<Row, E extends RecordedEvent> {
  /** The row the event is about. */
  key: (event: E) => IndexKey
  /** Event data fields copied onto the row under the same name: `['title', 'column']`. */
  copy?: NoInfer<readonly (keyof E['data'] & keyof Row & string)[]>
  /** Event data fields copied under another name: `{ column: 'to' }` (row field: data field). */
  rename?: NoInfer<{ [K in keyof Row & string]?: keyof E['data'] & string }>
  /** Constant or computed values set on the row. */
  set?: NoInfer<Partial<Row> | ((event: E) => Partial<Row>)>
  /** Fields to start a new row with (the key field is set from `key` when `keyField` is given). */
  defaults?: NoInfer<Partial<Row>>
  /** Name of the key field on a new row. */
  keyField?: NoInfer<keyof Row & string>
  /** Delete the row instead. */
  remove?: boolean
}

/**
 * A one-line projection handler that copies event fields onto a row (the `MapFromEvent` idea): upserts the
 * row with `key`, copies fields, applies `set`. Idempotent: applying the same event twice changes nothing.
 *
 * @example
 * on: {
 *   CardAdded: fromEvent({ key: (e) => e.data.cardId, keyField: 'id', copy: ['title', 'column'], set: { archived: 0 } }),
 *   CardMoved: fromEvent({ key: (e) => e.data.cardId, rename: { column: 'to' } }),
 *   CardRenamed: fromEvent({ key: (e) => e.streamId, copy: ['title'] }),
 *   CardDeleted: fromEvent({ key: (e) => e.streamId, remove: true }),
 * }
 */
export function fromEvent<Row, E extends RecordedEvent = RecordedEvent>(
  spec: FromEventSpec<Row, E>,
): (tx: ProjectionTx<Row>, event: E) => Promise<void> {
  return async (tx, event) => {
    const key = spec.key(event)
    if (spec.remove) {
      await tx.delete(key)
      return
    }
    const data = event.data as Record<string, unknown>
    const existing = await tx.get(key)
    const row: Record<string, unknown> = { ...(spec.defaults ?? {}), ...(existing ?? {}) }
    if (!existing && spec.keyField) row[spec.keyField] = key
    for (const field of spec.copy ?? []) row[field] = data[field]
    for (const [to, from] of Object.entries(spec.rename ?? {})) row[to] = data[from as string]
    Object.assign(row, typeof spec.set === 'function' ? spec.set(event) : spec.set)
    await tx.put(row as Row)
  }
}
