/** Raw IndexedDB as promises, for the baselines' worker (raw.worker.ts, model-floor.ts). */

export function req<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result)
    r.onerror = () => reject(r.error)
  })
}

export function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve()
    tx.onerror = () => reject(tx.error)
    tx.onabort = () => reject(tx.error ?? new Error('aborted'))
  })
}

/** Opens `name`, creating its stores with `upgrade` when it is new. */
export function open(name: string, upgrade?: (db: IDBDatabase) => void): Promise<IDBDatabase> {
  const r = indexedDB.open(name)
  if (upgrade) r.onupgradeneeded = () => upgrade(r.result)
  return req(r)
}
