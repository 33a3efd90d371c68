/**
 * Review of the commuting rebase (sync/rebase-commuting.ts): the trial stops at an overlap by throwing from
 * the handler's table access (FootprintCheck), and only notices the overlap if the throw reaches it. A pulled
 * event's handler that guards its own writes with try/catch (a defensive handler, or one that tolerates a
 * failed optional write) swallows it: the trial "passes", the write that overlapped was never made (it threw
 * before reaching the overlay) and the pending events are kept as they are. The pulled event's effect on the
 * shared row is lost for good.
 */
import { expect, it } from 'vitest'
import { defineAggregate, defineDomain, defineEvents, defineProjection, event, table } from '../../src/domain'
import { MemorySyncServer } from '../../src/testing/memory-sync-server'
import { heldClient, pullOnly, withoutSpace } from '../fixtures/commuting-helpers'
import { syncClient } from '../fixtures/failure-helpers'

const card = defineAggregate({
  name: 'card',
  events: defineEvents({ Added: event<{ title: string }>() }),
  initialState: () => ({}),
  evolve: { Added: (s) => s },
  commands: { add: (_s, input: { title: string }, ctx) => ctx.event('Added', input) },
})

/** A shared count of cards; each write is guarded (the count is best effort for this app). */
const totals = defineProjection({
  name: 'totals',
  version: 1,
  from: [card],
  table: table<{ id: string; n: number }>({ key: 'id' }),
  on: {
    Added: async (tx) => {
      try {
        const row = await tx.get('cards')
        await tx.put({ id: 'cards', n: (row?.n ?? 0) + 1 })
      } catch {
        // best effort
      }
    },
  },
  queries: { all: async (t) => (await t.toArray()).map(withoutSpace) },
})

const domain = defineDomain({ aggregates: { card }, projections: { totals } })

it('an overlap is not hidden by a handler that catches the errors of its own writes', async () => {
  const server = new MemorySyncServer()
  const other = syncClient(domain, server)
  const { client: mine, release } = heldClient(domain, server)
  await mine.execute('card.add', { id: 'mine', input: { title: 'm' } })
  await other.execute('card.add', { id: 'theirs', input: { title: 't' } })
  await other.syncNow()
  await pullOnly(mine)
  expect(await mine.query('totals.all')).toEqual([{ id: 'cards', n: 2 }]) // on 9c0d20d: n = 1

  release()
  await mine.syncNow()
  const fresh = syncClient(domain, server)
  await fresh.syncNow()
  expect(await mine.query('totals.all')).toEqual(await fresh.query('totals.all'))
  await fresh.close()
  await mine.close()
  await other.close()
})
