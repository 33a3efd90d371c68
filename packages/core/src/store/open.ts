import { Dexie } from 'dexie'
import type { AnyDomain } from '../domain/domain'
import { StorageError } from '../domain/errors'
import { changeMarks } from '../runtime/raw'
import { READ_SETS_SINCE } from './records'
import { deriveSchema, type StoreShape, sameShape, shapeOf } from './schema'

/** Where IndexedDB comes from; inject for tests (fake-indexeddb) or leave to the global one. */
export interface IndexedDbDeps {
  indexedDB?: IDBFactory
  IDBKeyRange?: typeof IDBKeyRange
}

function requestToPromise<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result)
    request.onerror = () => reject(request.error)
  })
}

/** Reads the stores of an installed database, or undefined when it does not exist. */
async function readInstalled(
  idb: IDBFactory,
  name: string,
): Promise<{ version: number; stores: Record<string, StoreShape> } | undefined> {
  const list = await idb.databases()
  if (!list.some((d) => d.name === name)) return undefined
  const db = await requestToPromise(idb.open(name))
  try {
    const stores: Record<string, StoreShape> = {}
    const names = Array.from(db.objectStoreNames)
    if (names.length > 0) {
      const tx = db.transaction(names, 'readonly')
      for (const storeName of names) {
        const store = tx.objectStore(storeName)
        const indexes: StoreShape['indexes'] = {}
        for (const indexName of Array.from(store.indexNames)) {
          const index = store.index(indexName)
          indexes[indexName] = { keyPath: index.keyPath, unique: index.unique, multiEntry: index.multiEntry }
        }
        stores[storeName] = { keyPath: store.keyPath, autoIncrement: store.autoIncrement, indexes }
      }
    }
    return { version: db.version, stores }
  } finally {
    db.close()
  }
}

/**
 * Opens (creating or upgrading as needed) the Dexie database of a domain. The schema is derived from the
 * domain; when it differs from the installed one, the database version is bumped and stale read-model
 * tables are dropped. No manual version numbers.
 */
export async function openStore(name: string, domain: AnyDomain, deps: IndexedDbDeps = {}): Promise<Dexie> {
  const idb = deps.indexedDB ?? globalThis.indexedDB
  if (!idb) throw new StorageError('FAILED', 'IndexedDB is not available in this environment')
  const schema = deriveSchema(domain)
  const installed = await readInstalled(idb, name)
  let verno = 1
  const stores: Record<string, string | null> = { ...schema }
  if (installed) {
    const current = Math.max(1, Math.ceil(installed.version / 10))
    const differs =
      Object.keys(installed.stores).some((t) => !(t in schema)) ||
      Object.entries(schema).some(([t, s]) => {
        const existing = installed.stores[t]
        return !existing || !sameShape(existing, shapeOf(s))
      })
    verno = differs ? current + 1 : current
    for (const t of Object.keys(installed.stores)) if (!(t in schema)) stores[t] = null
  }
  const db = new Dexie(name, {
    ...(deps.indexedDB ? { indexedDB: deps.indexedDB } : {}),
    ...(deps.IDBKeyRange ? { IDBKeyRange: deps.IDBKeyRange } : {}),
    chromeTransactionDurability: 'relaxed',
  })
  // Any upgrade may come after another version of the app wrote here (it changes the schema back to its own,
  // e.g. without the undo log's [table+key] index): what its pending events read is unknown. The next start
  // records read markers from past everything held (boot.ts).
  db.version(verno)
    .stores(stores)
    .upgrade((tx) => tx.table('meta').delete(READ_SETS_SINCE))
  db.use(changeMarks)
  keyRanges.set(db, deps.IDBKeyRange ?? globalThis.IDBKeyRange)
  await db.open()
  return db
}

const keyRanges = new WeakMap<Dexie, typeof IDBKeyRange>()

/**
 * The `IDBKeyRange` of the IndexedDB a database was opened with (injected with it, e.g. fake-indexeddb in Node):
 * raw requests on its transactions must build their ranges with it.
 */
export function keyRangeOf(db: Dexie): typeof IDBKeyRange {
  return keyRanges.get(db) ?? globalThis.IDBKeyRange
}
