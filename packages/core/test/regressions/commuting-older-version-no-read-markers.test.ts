/**
 * Review of the commuting rebase (sync/rebase-commuting.ts): read markers are trusted for every pending event at
 * or after META `readSetsSince`, set once by the first start of a version that records them. An older version
 * of the app (a tab not reloaded after a deploy) can still open the database: it changes the schema back to its
 * own (no `[table+key]` index on the undo log) and journals commands without read markers. The newer version
 * then took their missing markers for "read nothing", and a pulled event that changes a row such a command read
 * was applied under it (the card kept the board's old name). Every upgrade of the database now resets
 * `readSetsSince` past what it holds. The older version is simulated with Dexie: its schema, its writes.
 */
import { Dexie } from 'dexie'
import { expect, it } from 'vitest'
import { defineAggregate, defineDomain, defineEvents, defineProjection, event, table } from '../../src/domain'
import type { UndoRecord } from '../../src/store/records'
import { deriveSchema } from '../../src/store/schema'
import { MemorySyncServer } from '../../src/testing/memory-sync-server'
import { heldClient, pullOnly } from '../fixtures/commuting-helpers'
import { syncClient } from '../fixtures/failure-helpers'
import { freshName } from '../helpers'

const board = defineAggregate({
  name: 'board',
  events: defineEvents({ Named: event<{ name: string }>() }),
  initialState: () => ({}),
  evolve: { Named: (s) => s },
  commands: { name: (_s, input: { name: string }, ctx) => ctx.event('Named', input) },
})

const card = defineAggregate({
  name: 'card',
  events: defineEvents({ Added: event<{ board: string }>() }),
  initialState: () => ({}),
  evolve: { Added: (s) => s },
  commands: { add: (_s, input: { board: string }, ctx) => ctx.event('Added', input) },
})

/** A card copies its board's name when added: it READS the board's row. */
const view = defineProjection({
  name: 'view',
  version: 1,
  from: [board, card],
  table: table<{ id: string; name?: string; boardName?: string }>({ key: 'id' }),
  on: {
    Named: (tx, e) => tx.put({ id: `b:${e.streamId}`, name: e.data.name }),
    Added: async (tx, e) => {
      const b = await tx.get(`b:${e.data.board}`)
      await tx.put({ id: `c:${e.streamId}`, boardName: b?.name ?? '?' })
    },
  },
  queries: { card: async (t, id: string) => (await t.get(`c:${id}`))?.boardName },
})

const domain = defineDomain({ aggregates: { board, card }, projections: { view } })

it('a command journaled by an older version (no read markers, its own schema) is not taken for one that read nothing', async () => {
  const server = new MemorySyncServer()
  const other = syncClient(domain, server)
  await other.execute('board.name', { id: 'q', input: { name: 'old' } })
  await other.syncNow()
  const name = freshName('two-versions')
  const first = heldClient(domain, server, { name }).client
  await first.syncNow().catch(() => {})
  await first.execute('card.add', { id: 'm1', input: { board: 'q' } })
  await first.close()

  // The older version opens the database with its own schema and leaves the command without its read marker.
  const probe = new Dexie(name)
  await probe.open()
  const version = probe.verno
  probe.close()
  const older = new Dexie(name)
  older.version(version + 1).stores({ ...deriveSchema(domain), undo: '[lpos+n], lpos' })
  await older.open()
  await older
    .table<UndoRecord>('undo')
    .filter((u) => u.read !== undefined)
    .delete()
  older.close()

  await other.execute('board.name', { id: 'q', input: { name: 'new' } })
  await other.syncNow()
  const { client: newer } = heldClient(domain, server, { name })
  await pullOnly(newer)
  // Server order: the rename first, then the card, which copies the new name.
  expect(await newer.query('view.card', 'm1')).toBe('new') // before the fix: 'old'
  await newer.close()
  await other.close()
})
