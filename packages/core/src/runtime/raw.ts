import { type Dexie, mergeRanges, RangeSet, type Transaction } from 'dexie'

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

/** The highest primary key of a store. */
export async function lastKeyOf(store: IDBObjectStore): Promise<IDBValidKey | undefined> {
  const cursor = await request(store.openKeyCursor(null, 'prev'))
  return cursor?.primaryKey
}

/**
 * Marks whole tables as changed for Dexie's live queries when the transaction commits: the same set of changed
 * parts Dexie's own write path records on the transaction, which its commit handler both announces (live queries
 * here and in other tabs) and uses to drop cached query results. Pinned by `live-invalidation.test.ts`: a Dexie
 * upgrade that changed this would fail it rather than silently stop live queries over the log and the journal.
 */
export function markChanged(db: Dexie, tx: Transaction, tables: readonly string[]): void {
  const idb = idbOf(tx) as IDBTransaction & { mutatedParts?: Record<string, RangeSet> }
  const parts = idb.mutatedParts ?? {}
  for (const name of tables) {
    const schema = db.table(name).schema
    const names = ['', ':dels', schema.primKey.name, ...schema.indexes.map((i) => i.name)]
    for (const index of new Set(names)) {
      const part = `idb://${db.name}/${name}/${index}`
      const everything = new RangeSet(-Infinity, [[[]]])
      const existing = parts[part]
      if (existing) mergeRanges(existing, everything)
      else parts[part] = everything
    }
  }
  idb.mutatedParts = parts
}
