/**
 * Review: the engine remembers in memory which pending events the server accepted (`accepted`, engine.ts) and
 * skips them when pushing until a pull confirms them. After a server reset + reuploadToServer() that set is
 * kept: an event the *old* server accepted but that was never pulled is neither re-uploaded (it is not
 * confirmed) nor pushed (it is "accepted"), so it stays pending and never reaches the new server (until the
 * app restarts and the in-memory set is gone).
 */
import { expect, it } from 'vitest'
import type { SyncTransport } from '../../src/sync/transport'
import { SyncNetworkError } from '../../src/sync/transport'
import { MemorySyncServer } from '../../src/testing/memory-sync-server'
import { failureDomain } from '../fixtures/failure-domain'
import { syncClient } from '../fixtures/failure-helpers'

it('work the old server accepted (not yet pulled) reaches the new server after reuploadToServer()', async () => {
  const servers = { current: new MemorySyncServer() }
  let failPull = true
  const transport: SyncTransport = {
    push: (r) => servers.current.transport().push(r),
    pull: async (a, l) => {
      if (failPull) {
        failPull = false
        throw new SyncNetworkError('offline right after the push')
      }
      return servers.current.transport().pull(a, l)
    },
  }
  const c = syncClient(failureDomain(), servers.current, { sync: { transport } })
  await c.execute('note.write', { id: 'n1', input: { text: 'mine' } })
  await c.syncNow().catch(() => {}) // pushed and accepted, the pull failed
  const fresh = new MemorySyncServer()
  fresh.backendId = 'new-backend'
  servers.current = fresh // the server is reset (restored from a backup taken before the push)
  await expect(c.syncNow()).rejects.toMatchObject({ code: 'SERVER_RESET' })
  await c.runtime.reuploadToServer()
  await c.syncNow()
  await c.syncNow()
  expect(fresh.log.map((e) => e.data.text)).toEqual(['mine']) // before the fix: []
  expect(c.runtime.status.get().pending).toBe(0)
  await c.close()
})
