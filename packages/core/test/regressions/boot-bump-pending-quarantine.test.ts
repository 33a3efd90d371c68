/**
 * Review: a start with a projection version bump while the database holds pending commands, undo rows and
 * quarantine rows; then a rebase over that state. Expect: ready resolves, quarantine rebuilt, read model equals
 * a rebuild after sync.
 */
import { expect, it, vi } from 'vitest'
import { MemorySyncServer } from '../../src/testing/memory-sync-server'
import { failureDomain } from '../fixtures/failure-domain'
import { syncClient } from '../fixtures/failure-helpers'
import { freshName } from '../helpers'

it('version bump + pending + quarantine rows, then a rebase', async () => {
  const server = new MemorySyncServer()
  const name = freshName('bump')
  const b = syncClient(failureDomain(), server) // b's code can apply poison
  await b.execute('note.write', { id: 'p', input: { text: 'poison' } })
  await b.syncNow()
  const v1 = syncClient(failureDomain({ notes: { poisonThrows: true } }), server, { name })
  await v1.syncNow()
  await vi.waitFor(() => expect(v1.runtime.status.get().quarantined).toHaveLength(1))
  await v1.execute('note.write', { id: 'n1', input: { text: 'mine' } })
  await v1.execute('counter.inc', { id: 'x', input: { by: 2 } })
  await v1.close()

  const v2 = syncClient(failureDomain({ notes: { poisonThrows: true, version: 2 }, counts: { version: 2 } }), server, {
    name,
  })
  await expect(v2.runtime.ready).resolves.toBeUndefined()
  await vi.waitFor(() => expect(v2.runtime.status.get().quarantined).toHaveLength(1))
  expect(await v2.query('notes.texts')).toEqual(['mine'])
  await b.execute('note.write', { id: 'n1', input: { text: 'theirs' } })
  await b.execute('counter.inc', { id: 'x', input: { by: 10 } })
  await b.syncNow()
  await v2.syncNow()
  await v2.syncNow()
  expect(await v2.query('notes.texts')).toEqual(['mine', 'theirs'])
  expect(await v2.query('counts.byId', 'x')).toMatchObject({ n: 12, applied: 2 })
  await vi.waitFor(() => expect(v2.runtime.status.get().pending).toBe(0))
  await vi.waitFor(() => expect(v2.runtime.status.get().quarantined).toHaveLength(1))
  await v2.close()
  await b.close()
})
