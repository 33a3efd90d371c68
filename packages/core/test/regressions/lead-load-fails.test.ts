/**
 * Noticed while splitting the sync engine: the tab elected to sync first reads the joined spaces; when that read
 * failed (IndexedDB), the rejection went unhandled and the tab never started syncing — no round, no report, until a
 * reload. Now the failure is reported (status.lastError) and the read is tried again after a short backoff.
 */
import { Dexie } from 'dexie'
import { expect, it } from 'vitest'
import { createLocalClient } from '../../src/client/local-client'
import { MemorySyncServer } from '../../src/testing/memory-sync-server'
import { failureDomain } from '../fixtures/failure-domain'
import { syncClient } from '../fixtures/failure-helpers'
import { freshName } from '../helpers'

it('a failed read of the joined spaces when this tab starts to sync is retried: the tab syncs', async () => {
  const server = new MemorySyncServer()
  const domain = failureDomain()
  const other = syncClient(domain, server)
  await other.execute('note.write', { id: 'theirs', input: { text: 'theirs' } })
  await other.syncNow()

  // Dexie's tables share one prototype: fail the read that `lead()` makes, once.
  const probe = new Dexie(freshName('probe'))
  probe.version(1).stores({ t: 'id' })
  let proto = Object.getPrototypeOf(probe.table('t')) as { toArray: (...a: unknown[]) => Promise<unknown> }
  while (!Object.hasOwn(proto, 'toArray')) proto = Object.getPrototypeOf(proto)
  const toArray = proto.toArray
  let failed = false
  proto.toArray = function (this: { name: string }, ...args: unknown[]) {
    if (!failed && this.name === 'spaces' && /\bSyncEngine\.lead\b/.test(new Error().stack ?? '')) {
      failed = true
      return Promise.reject(new Error('disk hiccup'))
    }
    return toArray.apply(this, args)
  }
  try {
    const a = createLocalClient(domain, {
      name: freshName('lead'),
      sync: { transport: server.transport(), leaderElection: false },
    })
    await expect.poll(() => failed).toBe(true)
    await expect.poll(() => a.query('notes.texts'), { timeout: 10_000 }).toEqual(['theirs'])
    await a.close()
  } finally {
    proto.toArray = toArray
  }
  await other.close()
}, 20_000)
