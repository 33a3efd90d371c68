/**
 * Review of issue 14, finding 2: leaving a space whose events sat at the end of the log let the next command
 * take their local positions again, so async projections (and reactors) already past them skipped it.
 */
import { expect, it } from 'vitest'
import { defineDomain } from '../../src/domain/domain'
import { note, notesProjection } from '../fixtures/failure-domain'
import { servers, spacesClient } from '../fixtures/spaces-helpers'

const domain = defineDomain({ aggregates: { note }, projections: { notes: notesProjection({ mode: 'async' }) } })

it('after a leave, new events get positions past every position given out before', async () => {
  const all = servers('a', 'b')
  const c = spacesClient(domain, all, ['a', 'b'])
  await c.execute('note.write', { id: 'x', space: 'a', input: { text: 'x' } })
  for (const id of ['b1', 'b2', 'b3']) await c.execute('note.write', { id, space: 'b', input: { text: id } })
  await c.syncNow()
  await c.whenProcessed(c.runtime.status.get().position)
  await c.leaveSpace('b')
  const r = await c.execute('note.write', { id: 'y', space: 'a', input: { text: 'y' } })
  expect(r.events[0]?.position).toBeGreaterThan(4)
  await c.whenProcessed(r.events[0]?.position ?? 0)
  expect(await c.query('notes.texts')).toEqual(['x', 'y'])
  await c.close()
})
