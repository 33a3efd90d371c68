/**
 * Review of the commuting rebase (sync/rebase-commuting.ts): a pending event whose handler calls `tx.update` on a
 * row that does not exist depends on that row's absence (`update` returns false and writes nothing), but
 * `projectionTx.update` (and the overlay's) returned before anything was recorded: no read marker. A pulled
 * event that creates the row then passes the footprint check, and the fast path keeps the pending event's
 * outcome (nothing updated) although in server order the row exists when it is applied: the read model differs
 * from a fresh database fed the same log, for good (confirming the command changes nothing).
 */
import { expect, it } from 'vitest'
import { defineAggregate, defineDomain, defineEvents, defineProjection, event, table } from '../../src/domain'
import { MemorySyncServer } from '../../src/testing/memory-sync-server'
import { heldClient, pullOnly, withoutSpace } from '../fixtures/commuting-helpers'
import { syncClient } from '../fixtures/failure-helpers'

const board = defineAggregate({
  name: 'board',
  events: defineEvents({ Created: event<{ name: string }>() }),
  initialState: () => ({}),
  evolve: { Created: (s) => s },
  commands: { create: (_s, input: { name: string }, ctx) => ctx.event('Created', input) },
})

const card = defineAggregate({
  name: 'card',
  events: defineEvents({ Added: event<{ board: string }>() }),
  initialState: () => ({}),
  evolve: { Added: (s) => s },
  commands: { add: (_s, input: { board: string }, ctx) => ctx.event('Added', input) },
})

/** A board's row counts its cards; a card on a board not known yet counts nowhere. */
const boards = defineProjection({
  name: 'boards',
  version: 1,
  from: [board, card],
  table: table<{ id: string; name: string; cards: number }>({ key: 'id' }),
  on: {
    Created: (tx, e) => tx.put({ id: e.streamId, name: e.data.name, cards: 0 }),
    Added: async (tx, e) => {
      await tx.update(e.data.board, (row) => ({ ...row, cards: row.cards + 1 }))
    },
  },
  queries: { all: async (t) => (await t.toArray()).map(withoutSpace) },
})

const domain = defineDomain({ aggregates: { board, card }, projections: { boards } })

it('a pending update of a missing row is not commuted with the pulled event that creates the row', async () => {
  const server = new MemorySyncServer()
  const other = syncClient(domain, server)
  const { client: mine, release } = heldClient(domain, server)
  await mine.execute('card.add', { id: 'c1', input: { board: 'a' } }) // board a unknown here: updates nothing
  await other.execute('board.create', { id: 'a', input: { name: 'A' } })
  await other.syncNow()
  await pullOnly(mine)
  // Server order: board a is created, then the card is added to it.
  expect(await mine.query('boards.all')).toEqual([{ id: 'a', name: 'A', cards: 1 }]) // on 9c0d20d: cards 0

  release()
  await mine.syncNow()
  const fresh = syncClient(domain, server)
  await fresh.syncNow()
  expect(await mine.query('boards.all')).toEqual(await fresh.query('boards.all'))
  await fresh.close()
  await mine.close()
  await other.close()
})
