/**
 * Review: `pauseSync()` "stops everything leaving the device", but the pause flag is read only when a round
 * starts (engine.ts syncOnce): a round in flight keeps pushing batch after batch after the user paused.
 */
import { expect, it } from 'vitest'
import type { LocalClient } from '../../src/client/local-client'
import type { SyncTransport } from '../../src/sync/transport'
import { MemorySyncServer } from '../../src/testing/memory-sync-server'
import { type FailureDomain, failureDomain } from '../fixtures/failure-domain'
import { syncClient } from '../fixtures/failure-helpers'

it('no push leaves the device after pauseSync() resolved, even mid-round', async () => {
  const server = new MemorySyncServer()
  const inner = server.transport()
  let client: LocalClient<FailureDomain> | undefined
  let pushesAfterPause = 0
  let paused = false
  const transport: SyncTransport = {
    ...inner,
    push: async (r) => {
      if (paused) pushesAfterPause++
      const response = await inner.push(r)
      if (!paused) {
        await client?.runtime.pauseSync() // the user flips "work offline" while the first batch is in flight
        paused = true
      }
      return response
    },
  }
  client = syncClient(failureDomain(), server, { sync: { transport, pushBatch: 1 } })
  for (let i = 0; i < 5; i++) await client.execute('note.write', { id: `n${i}`, input: { text: `t${i}` } })
  await client.syncNow().catch(() => {})
  expect(pushesAfterPause).toBe(0) // before the fix: 4 more pushes after the pause
  await client.close()
})
