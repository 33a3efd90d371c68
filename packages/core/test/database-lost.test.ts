import { describe, expect, it } from 'vitest'
import { createLocalClient } from '../src/client/local-client'
import { MemorySyncServer } from '../src/testing/memory-sync-server'
import { failureDomain } from './fixtures/failure-domain'
import { freshName } from './helpers'

describe('a database deleted or evicted while the app runs', () => {
  it('is reported (DATABASE_LOST), never a silent empty start: everything the server holds is pulled again', async () => {
    const server = new MemorySyncServer()
    const name = freshName('lost')
    const a = createLocalClient(failureDomain(), { name, sync: { transport: server.transport(), autoStart: false } })
    await a.execute('counter.inc', { id: 'k', input: { by: 2 } })
    await a.execute('counter.inc', { id: 'k', input: { by: 3 } })
    await a.syncNow()
    expect(server.head).toBe(2)

    // Another context (devtools, "clear site data", eviction) deletes the database under the running app.
    await new Promise<void>((resolve, reject) => {
      const request = indexedDB.deleteDatabase(name)
      request.onsuccess = () => resolve()
      request.onerror = () => reject(request.error)
    })
    await expect.poll(() => a.runtime.status.get().errors.map((e) => e.code)).toContain('DATABASE_LOST')

    await a.syncNow()
    expect(await a.query('counts.byId', 'k')).toMatchObject({ id: 'k', n: 5, applied: 2 })
    // It keeps working on the re-created database.
    await a.execute('counter.inc', { id: 'k', input: { by: 1 } })
    await a.syncNow()
    expect(server.head).toBe(3)
    await a.close()
  })
})
