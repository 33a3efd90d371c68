/**
 * Review of the commuting rebase (sync/rebase-commuting.ts): the trial run of the pulled events' handlers is
 * meant to write nothing until it passed ("at the first overlap the trial stops, nothing has been written").
 * But it runs on RowOverlays, and a handler that reads through an index (`tx.table`) gets `overlay.readable()`,
 * which flushes the overlay's rows to IndexedDB at once. When a later pulled event then overlaps the pending
 * footprint, the trial is abandoned and the general path applies every pulled event again, on top of the rows
 * the trial already wrote: a non-idempotent handler (a count) applies twice.
 */
import { expect, it } from 'vitest'
import { defineAggregate, defineDomain, defineEvents, defineProjection, event, table } from '../../src/domain'
import { MemorySyncServer } from '../../src/testing/memory-sync-server'
import { heldClient, pullOnly, withoutSpace } from '../fixtures/commuting-helpers'
import { syncClient } from '../fixtures/failure-helpers'

const note = defineAggregate({
  name: 'note',
  events: defineEvents({ Written: event<{ text: string }>() }),
  initialState: () => ({}),
  evolve: { Written: (s) => s },
  commands: { write: (_s, input: { text: string }, ctx) => ctx.event('Written', input) },
})

const card = defineAggregate({
  name: 'card',
  events: defineEvents({ Added: event<{ title: string }>() }),
  initialState: () => ({}),
  evolve: { Added: (s) => s },
  commands: { add: (_s, input: { title: string }, ctx) => ctx.event('Added', input) },
})

const settings = defineAggregate({
  name: 'settings',
  events: defineEvents({ Tracking: event<{ on: boolean }>() }),
  initialState: () => ({}),
  evolve: { Tracking: (s) => s },
  commands: { track: (_s, input: { on: boolean }, ctx) => ctx.event('Tracking', input) },
})

type Row = { id: string; kind: string; n?: number; on?: boolean; text?: string }

/**
 * One table: a count of notes (each note also reads the table through an index), the tracking setting, and
 * cards, which only READ the setting (a card is recorded only while tracking is on).
 */
const stats = defineProjection({
  name: 'stats',
  version: 1,
  from: [note, card, settings],
  table: table<Row>({ key: 'id', indexes: ['kind'] }),
  on: {
    Written: async (tx) => {
      const count = await tx.get('count')
      await tx.put({ id: 'count', kind: 'meta', n: (count?.n ?? 0) + 1 })
      await tx.table.where('kind').equals('tracked').count() // an index read: the overlay is flushed here
    },
    Added: async (tx, e) => {
      const s = await tx.get('settings')
      if (s?.on) await tx.put({ id: `c:${e.streamId}`, kind: 'tracked', text: e.data.title })
    },
    Tracking: (tx, e) => tx.put({ id: 'settings', kind: 'meta', on: e.data.on }),
  },
  queries: { all: async (t) => (await t.toArray()).map(withoutSpace).sort((a, b) => (a.id < b.id ? -1 : 1)) },
})

const domain = defineDomain({ aggregates: { note, card, settings }, projections: { stats } })

it('a trial abandoned after an index read leaves no row behind (the general path applies the pulled events once)', async () => {
  const server = new MemorySyncServer()
  const other = syncClient(domain, server)
  const { client: mine, release } = heldClient(domain, server)
  // Pending: a card, whose handler read `settings` (absent) and wrote nothing.
  await mine.execute('card.add', { id: 'mine', input: { title: 'm' } })
  // Pulled: a note (count +1, then an index read), then the setting the pending card read: an overlap.
  await other.execute('note.write', { id: 'theirs', input: { text: 't' } })
  await other.execute('settings.track', { id: 's', input: { on: true } })
  await other.syncNow()
  await pullOnly(mine)

  release()
  await mine.syncNow()
  const fresh = syncClient(domain, server)
  await fresh.syncNow()
  const expected = await fresh.query('stats.all')
  expect(expected.find((r) => r.id === 'count')?.n).toBe(1)
  expect(await mine.query('stats.all')).toEqual(expected)
  await fresh.close()
  await mine.close()
  await other.close()
})
