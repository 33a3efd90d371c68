import type { Dexie } from 'dexie'
import type { RuntimeErrorReport } from './status'

/**
 * Watches for the database disappearing under a running app: the user clears site data, the browser evicts it,
 * or another tab deletes it. Dexie then closes the connection and opens a fresh, empty database at the next
 * operation. That must not be a silent empty start: it is reported (`DATABASE_LOST`) and `onLost` lets the owner
 * drop what described the old database and pull everything again. Another tab opening the database with a newer
 * schema closes it too: reported as `DATABASE_UPGRADED` (reload this tab).
 */
export function watchDatabase(
  db: Dexie,
  host: { isClosed: () => boolean; now: () => number; report: (error: RuntimeErrorReport) => void; onLost: () => void },
): void {
  let newVersion: number | null | undefined
  db.on('versionchange', (event: IDBVersionChangeEvent) => {
    newVersion = event.newVersion
  })
  db.on('close', () => {
    if (host.isClosed()) return
    const at = host.now()
    if (newVersion) {
      host.report({
        where: 'database',
        code: 'DATABASE_UPGRADED',
        message: 'Another tab opened this database with a newer version of the app: reload this tab.',
        at,
      })
      return
    }
    host.report({
      where: 'database',
      code: 'DATABASE_LOST',
      message:
        'The database was deleted or evicted while the app ran: events not yet synced are gone; ' +
        'everything the server holds is pulled again.',
      at,
    })
    host.onLost()
  })
}

/**
 * Whether the browser keeps this origin's data (`navigator.storage.persisted()`), asking for it first when `ask`
 * and this context can (`persist()` exists on the page, not in a worker). Null when unknown.
 */
export async function persistedStorage(ask: boolean): Promise<boolean | null> {
  const storage = typeof navigator !== 'undefined' ? navigator.storage : undefined
  if (!storage || typeof storage.persisted !== 'function') return null
  try {
    let granted = await storage.persisted()
    if (!granted && ask && typeof storage.persist === 'function') granted = await storage.persist()
    return granted
  } catch {
    // Some browsers refuse the question in private windows.
    return null
  }
}
