import type { DBCore, Dexie, Middleware, ObservabilitySet, Transaction } from 'dexie'
import { RangeSet } from 'dexie'

/**
 * The command path's own reads and writes of the log and the journal go straight to IndexedDB inside the Dexie
 * transaction: Dexie's per-request middleware costs more than the request itself on this hot path. Read models
 * still go through Dexie, so live queries over them keep their precise invalidation; for the log and the journal
 * we tell Dexie's live queries ourselves (`markChanged`).
 */

/** The raw IndexedDB transaction under a Dexie transaction (Dexie's public `Transaction.idbtrans`). */
export function idbOf(tx: Transaction): IDBTransaction {
  return tx.idbtrans
}

/** A request as a promise. A failed request does not abort the transaction by itself: the caller decides. */
export function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result)
    req.onerror = (event) => {
      event.preventDefault()
      event.stopPropagation()
      reject(req.error)
    }
  })
}

/** The last value of an index or store range (a reverse cursor, first step only). */
export async function lastIn<T>(source: IDBObjectStore | IDBIndex, range: IDBKeyRange | null): Promise<T | undefined> {
  const cursor = await request(source.openCursor(range, 'prev'))
  return (cursor?.value as T | undefined) ?? undefined
}

/** Changed parts to announce, per IndexedDB transaction and table, handed to the next empty delete there. */
const marks = new WeakMap<object, Map<string, ObservabilitySet>>()

/**
 * A DBCore middleware (Dexie's extension point): an empty delete (`bulkDelete([])`, no IndexedDB request) that
 * {@link markChanged} sends carries the parts it marked as its `mutatedParts` (public in DBCore's typings).
 * Dexie's observability layer below adds them to the transaction's set, which at commit both drops affected
 * entries of Dexie's query cache and is announced to live queries here and in other tabs.
 */
export const changeMarks: Middleware<DBCore> = {
  stack: 'dbcore',
  name: 'CairnChangeMarks',
  level: 100,
  create: (down) => ({
    ...down,
    table: (name) => {
      const table = down.table(name)
      return {
        ...table,
        mutate: (req) => {
          const pending = req.type === 'delete' && req.keys.length === 0 ? marks.get(req.trans) : undefined
          const parts = pending?.get(name)
          if (!parts) return table.mutate(req)
          pending?.delete(name)
          return table.mutate({ ...req, mutatedParts: { ...req.mutatedParts, ...parts } })
        },
      }
    },
  }),
}

/**
 * Issues one request per item; settles when the last one has (requests run in order), or fails with the first
 * error. A failed request is kept from aborting the transaction by itself: the caller decides (WriteSink).
 */
export function rawBulk<T>(items: readonly T[], issue: (item: T) => IDBRequest): Promise<void> {
  return new Promise((resolve, reject) => {
    let failed = false
    const onerror = (event: Event) => {
      event.preventDefault()
      event.stopPropagation()
      if (failed) return
      failed = true
      reject((event.target as IDBRequest).error)
    }
    let last: IDBRequest | undefined
    for (const item of items) {
      last = issue(item)
      last.onerror = onerror
    }
    if (last) last.onsuccess = () => (failed ? undefined : resolve())
  })
}

/**
 * Marks whole tables as changed for Dexie's live queries when the transaction commits, for writes made with
 * raw requests: through Dexie's own write path (an empty delete, in the transaction's zone) that the
 * {@link changeMarks} middleware gives the parts. Pinned by `live-invalidation.test.ts`: a Dexie upgrade that
 * changed this would fail it rather than silently stop live queries over these tables.
 */
export function markChanged(db: Dexie, tx: Transaction, tables: readonly string[]): void {
  for (const name of tables) {
    const schema = db.table(name).schema
    const names = ['', ':dels', schema.primKey.name, ...schema.indexes.map((i) => i.name)]
    const parts: ObservabilitySet = {}
    for (const index of new Set(names)) parts[`idb://${db.name}/${name}/${index}`] = everything()
    let pending = marks.get(tx.idbtrans)
    if (!pending) {
      pending = new Map()
      marks.set(tx.idbtrans, pending)
    }
    pending.set(name, parts)
    // It settles within the transaction; a failure here only means a live query refreshes later.
    tx.table(name)
      .bulkDelete([])
      .catch(() => {})
  }
}

/** A range set covering every key. */
function everything(): RangeSet {
  return new RangeSet(-Infinity, [[[]]])
}
