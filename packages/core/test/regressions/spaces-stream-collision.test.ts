/**
 * Review of issue 14, finding 1: two spaces holding a stream of the same name made every pull of a client in
 * both fail on the log's unique index — no space synced any more, and no space reported why. Now the space
 * whose events cannot be held stops alone, with a clear error; the other keeps syncing.
 */
import { expect, it } from 'vitest'
import { defineDomain } from '../../src/domain/domain'
import { note, notesProjection } from '../fixtures/failure-domain'
import { servers, spacesClient } from '../fixtures/spaces-helpers'

const domain = defineDomain({ aggregates: { note }, projections: { notes: notesProjection() } })

it('a stream of one space colliding with a stream of another stops that space alone, reported', async () => {
  const all = servers('a', 'b')
  const inA = spacesClient(domain, all, ['a'])
  const inB = spacesClient(domain, all, ['b'])
  await inA.execute('note.write', { id: 'n1', input: { text: 'a' } })
  await inB.execute('note.write', { id: 'n1', input: { text: 'b' } })
  await inB.execute('note.write', { id: 'n2', input: { text: 'b2' } })
  await inA.syncNow()
  await inB.syncNow()

  const both = spacesClient(domain, all, ['a', 'b'])
  const error = await both.syncNow().catch((e) => e)
  expect(error).toMatchObject({ code: 'STREAM_IN_OTHER_SPACE' })
  const spaces = both.runtime.status.get().spaces
  const stopped = Object.entries(spaces).filter(([, s]) => s.lastError?.code === 'STREAM_IN_OTHER_SPACE')
  expect(stopped).toHaveLength(1)
  // The other space synced in full.
  const texts = await both.query('notes.texts')
  expect(texts.length).toBeGreaterThanOrEqual(1)
  expect(['a', 'b', 'b2'].filter((t) => texts.includes(t)).length).toBe(texts.length)
  expect(Object.values(spaces).some((s) => s.lastError === null && s.cursor === s.head && s.head > 0)).toBe(true)
  for (const c of [inA, inB, both]) await c.close()
})
