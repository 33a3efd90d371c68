/**
 * Found while splitting the sync engine: when saving the server's identity (the first one a space sees) failed
 * in IndexedDB, the pull stopped that space for good, as if the server had been reset. It was left out of every
 * round until a reload, and `reuploadToServer()` refused it (NOT_RESET). Only a server reset stops a space; a
 * storage failure is reported for that round and the next round tries again.
 */
import { expect, it } from 'vitest'
import { MemorySyncServer } from '../../src/testing/memory-sync-server'
import { failureDomain } from '../fixtures/failure-domain'
import { syncClient } from '../fixtures/failure-helpers'

it('a failure to save the server identity is reported for the round; the next round syncs', async () => {
  const server = new MemorySyncServer()
  const domain = failureDomain()
  const other = syncClient(domain, server)
  await other.execute('note.write', { id: 'theirs', input: { text: 'theirs' } })
  await other.syncNow()

  const a = syncClient(domain, server)
  await a.query('notes.texts') // opened
  const spaces = a.runtime.database.table('spaces')
  const update = spaces.update.bind(spaces)
  let failing = true
  spaces.update = ((...args: Parameters<typeof update>) => {
    if (failing) {
      failing = false
      return Promise.reject(new Error('disk hiccup'))
    }
    return update(...args)
  }) as typeof spaces.update

  await expect(a.syncNow()).rejects.toThrow(/disk hiccup/)
  expect(a.runtime.status.get().spaces.default?.stopped).toBeFalsy()
  await a.syncNow()
  expect(await a.query('notes.texts')).toEqual(['theirs'])
  await a.close()
  await other.close()
})
