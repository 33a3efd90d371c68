/**
 * Review of the commuting rebase (sync/rebase-commuting.ts): an async projection that does not read the pulled
 * events' aggregates is skipped by `trialProjections` before its checkpoint is looked at. When it had already
 * processed the pending events (checkpoint at or past the last pending position, or inside the pending range),
 * the fast path moves those events to later positions but leaves its checkpoint where it was: the next catch-up
 * applies the moved pending events a second time (a count doubles). The general path moves the checkpoint back
 * and rolls the rows back; the fast path must move it forward past the moved events (or roll back).
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

const note = defineAggregate({
  name: 'note',
  events: defineEvents({ Written: event<{ text: string }>() }),
  initialState: () => ({}),
  evolve: { Written: (s) => s },
  commands: { write: (_s, input: { text: string }, ctx) => ctx.event('Written', input) },
})

/** Async, fed by cards only: one shared count row (a double apply shows). */
const cardCount = defineProjection({
  name: 'cardCount',
  version: 1,
  mode: 'async',
  from: [card],
  table: table<{ id: string; n: number }>({ key: 'id' }),
  on: {
    Added: async (tx) => {
      const row = await tx.get('all')
      await tx.put({ id: 'all', n: (row?.n ?? 0) + 1 })
    },
  },
  queries: { all: async (t) => (await t.toArray()).map(withoutSpace) },
})

/** Inline, fed by notes only. */
const notes = defineProjection({
  name: 'notes',
  version: 1,
  from: [note],
  table: table<{ id: string; text: string }>({ key: 'id' }),
  on: { Written: (tx, e) => tx.put({ id: e.streamId, text: e.data.text }) },
  queries: { all: async (t) => (await t.toArray()).map(withoutSpace) },
})

const domain = defineDomain({ aggregates: { card, note }, projections: { cardCount, notes } })

it('an async projection not fed by the pulled events does not apply the moved pending events twice', async () => {
  const server = new MemorySyncServer()
  const other = syncClient(domain, server)
  const { client: mine, release } = heldClient(domain, server)
  let last = 0
  for (let i = 0; i < 3; i++) {
    const r = await mine.execute('card.add', { id: `m${i}`, input: { title: `m${i}` } })
    last = r.events[0]?.position ?? last
  }
  await mine.whenProcessed(last)
  expect(await mine.query('cardCount.all')).toEqual([{ id: 'all', n: 3 }])

  await other.execute('note.write', { id: 'n1', input: { text: 'hello' } })
  await other.syncNow()
  await pullOnly(mine) // commutes: notes touch no row of the pending cards
  await mine.whenProcessed(mine.runtime.status.get().position)
  expect(await mine.query('notes.all')).toEqual([{ id: 'n1', text: 'hello' }])
  expect(await mine.query('cardCount.all')).toEqual([{ id: 'all', n: 3 }]) // on 9c0d20d: n = 6

  release()
  await mine.syncNow()
  await mine.whenProcessed(mine.runtime.status.get().position)
  expect(await mine.query('cardCount.all')).toEqual([{ id: 'all', n: 3 }])
  await mine.close()
  await other.close()
})
