/**
 * Review of issue 14, findings 4 and 6: the live channel was never reopened after it broke (sync fell back to
 * the 30 s heartbeat), and a command in a tab whose joined spaces were stale wrote into a space another tab had
 * just left (a pending command nobody would ever push).
 */
import { expect, it } from 'vitest'
import { createLocalClient } from '../../src/client/local-client'
import { defineDomain } from '../../src/domain/domain'
import { type SpacesTransport, spacesTransport } from '../../src/sync/transport'
import { note, notesProjection } from '../fixtures/failure-domain'
import { servers, spacesClient } from '../fixtures/spaces-helpers'
import { freshName } from '../helpers'

const domain = defineDomain({ aggregates: { note }, projections: { notes: notesProjection() } })

it('a live channel that breaks is opened again', async () => {
  const all = servers('a')
  const base = spacesTransport((space) => all.get(space)?.transport())
  let opened = 0
  const transport: SpacesTransport = {
    ...base,
    live: (_from, handlers) => {
      opened += 1
      // Connects, then breaks at once (a server restart), every time.
      queueMicrotask(() => {
        handlers.onConnected(true)
        queueMicrotask(() => handlers.onConnected(false))
      })
      return () => {}
    },
  }
  const c = createLocalClient(domain, {
    name: freshName('live-reopen'),
    sync: { spaces: ['a'], spacesTransport: transport, leaderElection: false, heartbeatMs: 60_000 },
  })
  await expect.poll(() => opened, { timeout: 5000 }).toBeGreaterThanOrEqual(3)
  await c.close()
})

it('a command in a tab that has not yet seen another tab leave a space is refused, nothing written', async () => {
  const all = servers('a', 'b')
  const name = freshName('stale-joined')
  const tab1 = spacesClient(domain, all, ['a', 'b'], { name })
  const tab2 = spacesClient(domain, all, ['a', 'b'], { name })
  await tab1.execute('note.write', { id: 'n1', space: 'b', input: { text: 'x' } })
  await tab1.syncNow()
  await tab2.runtime.ready
  // Tab 2 knows 'b' as joined; tab 1 leaves it, and tab 2 writes into it before it heard.
  await tab1.leaveSpace('b')
  const error = await tab2.execute('note.write', { id: 'n2', space: 'b', input: { text: 'late' } }).catch((e) => e)
  expect(error).toMatchObject({ name: 'ValidationError' })
  expect(await tab2.runtime.database.table('events').where('space').equals('b').count()).toBe(0)
  expect(await tab2.runtime.database.table('commands').where('status').equals('pending').count()).toBe(0)
  await tab1.close()
  await tab2.close()
})
