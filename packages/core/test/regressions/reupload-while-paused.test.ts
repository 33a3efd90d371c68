/**
 * Review: `pauseSync()` "stops everything leaving the device" (docs/failure-model.md), but reuploadToServer()
 * pushes the whole log while paused (engine.ts reupload() never checks `paused`).
 */
import { expect, it } from 'vitest'
import type { SyncTransport } from '../../src/sync/transport'
import { MemorySyncServer } from '../../src/testing/memory-sync-server'
import { failureDomain } from '../fixtures/failure-domain'
import { syncClient } from '../fixtures/failure-helpers'

it('reuploadToServer pushes nothing while sync is paused', async () => {
  const servers = { current: new MemorySyncServer() }
  const transport: SyncTransport = {
    push: (r) => servers.current.transport().push(r),
    pull: (a, l) => servers.current.transport().pull(a, l),
  }
  const c = syncClient(failureDomain(), servers.current, { sync: { transport } })
  await c.execute('note.write', { id: 'n1', input: { text: 'one' } })
  await c.syncNow()
  const fresh = new MemorySyncServer()
  fresh.backendId = 'new-backend'
  servers.current = fresh
  await expect(c.syncNow()).rejects.toMatchObject({ code: 'SERVER_RESET' })
  await c.runtime.pauseSync()
  await expect(c.syncNow()).rejects.toMatchObject({ code: 'SYNC_PAUSED' })
  const result = await c.runtime.reuploadToServer().catch((e) => e)
  expect(fresh.log).toHaveLength(0) // before the fix: the paused client pushed its log
  expect(result).toMatchObject({ code: 'SYNC_PAUSED' })
  await c.close()
})
