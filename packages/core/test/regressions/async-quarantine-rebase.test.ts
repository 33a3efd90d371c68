/**
 * Review: a pending event quarantined by an async projection, then rolled back and re-applied by a rebase;
 * then confirmed; then the code is fixed (version bump) and the rebuild clears the quarantine.
 */
import { expect, it, vi } from 'vitest'
import { MemorySyncServer } from '../../src/testing/memory-sync-server'
import { failureDomain } from '../fixtures/failure-domain'
import { syncClient } from '../fixtures/failure-helpers'
import { freshName } from '../helpers'

it('async quarantine survives a rebase, then a fixed version rebuilds to the full read model', async () => {
  const server = new MemorySyncServer()
  const name = freshName('aq')
  const domain = failureDomain({ notes: { mode: 'async', poisonThrows: true } })
  const a = syncClient(domain, server, { name })
  const b = syncClient(domain, server)
  const p = await a.execute('note.write', { id: 'n1', input: { text: 'poison' } })
  await a.whenProcessed(p.events[0]?.position ?? 0)
  await vi.waitFor(() => expect(a.runtime.status.get().quarantined.map((q) => q.eventId)).toEqual([p.events[0]?.id]))
  await b.execute('note.write', { id: 'n1', input: { text: 'theirs' } })
  await b.syncNow()
  await a.syncNow() // rebase: the pending poison is rolled back, re-run after 'theirs', pushed
  await a.syncNow()
  await vi.waitFor(async () => expect(await a.query('notes.texts')).toEqual(['theirs']))
  await vi.waitFor(() => expect(a.runtime.status.get().quarantined.map((q) => q.eventId)).toEqual([p.events[0]?.id]))
  expect(a.runtime.status.get().pending).toBe(0)
  await a.close()
  const fixed = syncClient(failureDomain({ notes: { mode: 'async', poisonThrows: false, version: 2 } }), server, {
    name,
  })
  await fixed.runtime.ready
  await vi.waitFor(async () => expect(await fixed.query('notes.texts')).toEqual(['poison', 'theirs']))
  await vi.waitFor(() => expect(fixed.runtime.status.get().quarantined).toEqual([]))
  await fixed.close()
  await b.close()
})
