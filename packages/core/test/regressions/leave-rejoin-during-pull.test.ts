/**
 * Review of issue 14, finding 3: a space left and joined again while a pull of it was under way took that pull's
 * events and cursor, so the events before them were never pulled again (a hole in the log).
 */
import { expect, it } from 'vitest'
import type { LocalClient } from '../../src/client/local-client'
import { defineDomain } from '../../src/domain/domain'
import { spacesTransport } from '../../src/sync/transport'
import { note, notesProjection } from '../fixtures/failure-domain'
import { servers, spacesClient } from '../fixtures/spaces-helpers'

const domain = defineDomain({ aggregates: { note }, projections: { notes: notesProjection() } })

it('a pull that started before a leave and a rejoin is dropped: the space is pulled again from the start', async () => {
  const all = servers('a')
  const writer = spacesClient(domain, all, ['a'])
  for (let i = 0; i < 3; i++) await writer.execute('note.write', { id: `n${i}`, input: { text: `t${i}` } })
  await writer.syncNow()

  const base = spacesTransport((space) => all.get(space)?.transport())
  let client: LocalClient<typeof domain> | undefined
  // The client holds the first 3 events; while its pull of the next ones is in flight, the space is left and
  // joined again (another tab could do it).
  let race = false
  client = spacesClient(domain, all, ['a'], {
    transport: {
      ...base,
      pull: async (from, limit) => {
        const pages = await base.pull(from, limit)
        if (race && from[0]?.after === 3 && client) {
          race = false
          await client.leaveSpace('a')
          await client.joinSpace('a')
        }
        return pages
      },
    },
  })
  await client.syncNow()
  for (let i = 3; i < 6; i++) await writer.execute('note.write', { id: `n${i}`, input: { text: `t${i}` } })
  await writer.syncNow()
  race = true
  await client.syncNow().catch(() => {})
  await client.syncNow()
  expect(await client.query('notes.texts')).toEqual(['t0', 't1', 't2', 't3', 't4', 't5'])
  expect(client.runtime.status.get().spaces.a?.cursor).toBe(6)
  await client.close()
  await writer.close()
})
