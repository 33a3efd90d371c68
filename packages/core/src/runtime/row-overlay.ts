import type { Table, Transaction } from 'dexie'
import type { IndexKey, ReadTable } from '../domain/read-table'
import { keyId, primaryKeyOf, type WriteSink } from './projector'
import { idbOf, markChanged, rawBulk } from './raw'
import { snapshotRow } from './row-snapshot'

/**
 * The rows one catch-up chunk wrote to one read-model table, kept in memory and written with one `bulkPut`
 * and one `bulkDelete` when the chunk ends (or before a handler reads the table through an index: see
 * `readable`). Reads see the overlay first, then the table. Rows are copied on the way in and out, as
 * IndexedDB would clone them (`snapshotRow`: deep only when a row holds objects): a handler mutating a row after
 * `put`, or a row it got, changes nothing stored.
 */
export class RowOverlay {
  /** Pending state per key: the row, or `undefined` for a deleted one. Insertion order = write order. */
  private readonly rows = new Map<string, { key: IndexKey; row: unknown }>()

  constructor(
    readonly table: Table,
    private readonly keySpec: string,
    private readonly writes: WriteSink,
    /** Write through the raw IndexedDB transaction under this one (see `flush`); absent: Dexie's bulk calls. */
    private readonly tx?: Transaction,
  ) {}

  private marked = false

  /** Rows waiting to be written. */
  get size(): number {
    return this.rows.size
  }

  keySpecOf(): string {
    return this.keySpec
  }

  async get(key: IndexKey): Promise<unknown> {
    const entry = this.rows.get(keyId(key))
    // A new object each time, so the handler holds none of the overlay's own (see snapshotRow).
    if (entry) return entry.row === undefined ? undefined : snapshotRow({ ...(entry.row as object) })
    return this.table.get(key)
  }

  /** `row` must be an object made for this call, that the handler holds no reference to (see snapshotRow). */
  put(row: object): void {
    const key = primaryKeyOf(this.keySpec, row)
    const id = keyId(key)
    // Re-inserted at the end, so that flushing keeps the order of the last writes.
    this.rows.delete(id)
    this.rows.set(id, { key, row: snapshotRow(row) })
  }

  delete(key: IndexKey): void {
    const id = keyId(key)
    this.rows.delete(id)
    this.rows.set(id, { key, row: undefined })
  }

  /**
   * Issues the pending writes (deletes first: a key is either put or deleted, never both) and empties the
   * overlay. Not awaited: requests in one transaction run in order, so any later read sees them; a failure
   * surfaces through the sink (a bulk failure as its first row's error, so it is classified like a put's).
   */
  flush(): void {
    if (this.rows.size === 0) return
    const puts: unknown[] = []
    const deletes: IndexKey[] = []
    for (const { key, row } of this.rows.values()) {
      if (row === undefined) deletes.push(key)
      else puts.push(row)
    }
    this.rows.clear()
    const table = this.table
    if (!this.tx) {
      if (deletes.length > 0) this.writes.track(() => table.bulkDelete(deletes).catch(unwrapBulk), table.name)
      if (puts.length > 0) this.writes.track(() => table.bulkPut(puts).catch(unwrapBulk), table.name)
      return
    }
    // Straight to IndexedDB: Dexie's per-row middleware costs more than the put itself. Live queries over the
    // table are told once (the whole table: a chunk's rows are spread over it anyway).
    if (!this.marked) {
      markChanged(this.tx.db, this.tx, [table.name])
      this.marked = true
    }
    const store = idbOf(this.tx).objectStore(table.name)
    if (deletes.length > 0)
      this.writes.track(() => rawBulk(deletes, (key) => store.delete(key as IDBValidKey)), table.name)
    if (puts.length > 0) this.writes.track(() => rawBulk(puts, (row) => store.put(row)), table.name)
  }

  /** The table for index reads: the overlay is flushed first, at every access, so reads see the pending writes. */
  readable(): ReadTable<unknown> {
    const table = this.table
    return new Proxy(table, {
      get: (target, property) => {
        this.flush()
        const value = Reflect.get(target, property, target) as unknown
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value
      },
    }) as unknown as ReadTable<unknown>
  }
}

/** A Dexie BulkError carries the failing rows' own errors: rethrow the first, so it classifies like one write's. */
function unwrapBulk(error: unknown): never {
  const failures = (error as { name?: unknown; failures?: unknown[] } | null)?.failures
  if ((error as { name?: unknown } | null)?.name === 'BulkError' && failures && failures.length > 0) throw failures[0]
  throw error
}
