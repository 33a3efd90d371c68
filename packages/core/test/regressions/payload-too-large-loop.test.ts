/**
 * Review: the 413 split halves `batchLimit` to half the batch's *events*, but nextBatch only cuts between
 * commands once the limit is reached. A batch [small command (1 event), big command (3 events)] gets limit 2,
 * and nextBatch rebuilds exactly the same batch (1 event, then the big command's first event reaches the limit,
 * its other events follow because they are the same command): 413 again, limit 2 again… until the request
 * budget is spent; then the pull cannot run either.
 */
import { expect, it } from 'vitest'
import { MemorySyncServer } from '../../src/testing/memory-sync-server'
import { failureDomain } from '../fixtures/failure-domain'
import { countingTransport, syncClient } from '../fixtures/failure-helpers'

it('one small command followed by one oversized multi-event command: bounded, the big one rejected, the small one pushed', async () => {
  const server = new MemorySyncServer({ maxBatchBytes: 4000 })
  const domain = failureDomain()
  const counted = countingTransport(server, 2000)
  const a = syncClient(domain, server, { sync: { transport: counted.transport } })
  const b = syncClient(domain, server)
  await b.execute('note.write', { id: 'theirs', input: { text: 'theirs' } })
  await b.syncNow()
  await a.execute('note.write', { id: 'small', input: { text: 'small' } })
  const big = await a.execute('note.writeMany', {
    id: 'big',
    input: { texts: ['x'.repeat(1500), 'y'.repeat(1500), 'z'.repeat(1500)] },
  })
  const first = await a.syncNow().catch((e) => e)
  expect.soft(first?.code).not.toBe('TOO_MANY_REQUESTS') // failed before the fix
  expect.soft(counted.pushes.length).toBeLessThanOrEqual(20) // before the fix: 1000 pushes
  expect.soft(await a.query('notes.texts')).toContain('theirs') // before the fix: the pull never ran
  await a.syncNow().catch(() => {})
  expect.soft(server.log.map((e) => e.data.text).sort()).toEqual(['small', 'theirs'])
  expect.soft(a.runtime.status.get().rejected.map((r) => r.commandId)).toEqual([big.commandId])
  await a.close()
  await b.close()
}, 60_000)
