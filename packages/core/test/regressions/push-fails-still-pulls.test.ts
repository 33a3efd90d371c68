/**
 * Found by bench scenario 11 after many spaces landed: a space whose push failed (the network, for pushes only)
 * was left out of the round's pull, so foreign events never arrived while local work waited. Pushing and
 * pulling are independent.
 */
import { expect, it } from 'vitest'
import { SyncNetworkError, type SyncTransport } from '../../src/sync/transport'
import { MemorySyncServer } from '../../src/testing/memory-sync-server'
import { failureDomain } from '../fixtures/failure-domain'
import { syncClient } from '../fixtures/failure-helpers'

it('a push that fails on the network still lets the round pull the others’ events', async () => {
  const server = new MemorySyncServer()
  const domain = failureDomain()
  const other = syncClient(domain, server)
  const inner = server.transport()
  const held: SyncTransport = {
    ...inner,
    push: async () => {
      throw new SyncNetworkError('pushes are held')
    },
  }
  const a = syncClient(domain, server, { sync: { transport: held } })
  await a.execute('note.write', { id: 'mine', input: { text: 'mine' } })
  await other.execute('note.write', { id: 'theirs', input: { text: 'theirs' } })
  await other.syncNow()
  await expect(a.syncNow()).rejects.toMatchObject({ code: 'NETWORK' })
  expect(await a.query('notes.texts')).toEqual(['mine', 'theirs'])
  expect(a.runtime.status.get().spaces.default?.cursor).toBe(1)
  await a.close()
  await other.close()
})
