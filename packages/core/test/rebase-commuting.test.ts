/**
 * Issue 15, rebase cost proportional to what changed: pulled events that cannot change what is pending (other
 * streams, rows the pending events neither wrote nor read) are applied under the pending events without rolling
 * them back or running their handlers again; anything that overlaps takes the general path. Each case checks
 * the read models against a database that received the same events in server order.
 */
import { describe, expect, it } from 'vitest'
import { createLocalClient, type LocalClient } from '../src/client/local-client'
import { defineAggregate, defineDomain, defineEvents, defineProjection, event, table } from '../src/domain'
import { MemorySyncServer } from '../src/testing/memory-sync-server'
import { heldClient, pullOnly, withoutSpace } from './fixtures/commuting-helpers'
import { localLog, syncClient } from './fixtures/failure-helpers'
import { freshName } from './helpers'

/** Handler runs of the `view` projection, per event type: a re-applied pending event counts again. */
const runs = { Added: 0 }

const board = defineAggregate({
  name: 'board',
  events: defineEvents({ Named: event<{ name: string }>() }),
  initialState: () => ({}),
  evolve: { Named: (s) => s },
  commands: { name: (_s, input: { name: string }, ctx) => ctx.event('Named', input) },
})

const card = defineAggregate({
  name: 'card',
  events: defineEvents({ Added: event<{ board: string; title: string }>() }),
  initialState: () => ({ exists: false }),
  evolve: { Added: () => ({ exists: true }) },
  commands: {
    add: (s, input: { board: string; title: string }, ctx) =>
      s.exists ? ctx.reject('Exists') : ctx.event('Added', input),
  },
})

type Row = { id: string; name?: string; board?: string; title?: string; boardName?: string }

/** Boards and cards in one table; a card copies its board's name when added (it READS the board's row). */
const view = defineProjection({
  name: 'view',
  version: 1,
  from: [board, card],
  table: table<Row>({ key: 'id' }),
  on: {
    Named: (tx, e) => tx.put({ id: `b:${e.streamId}`, name: e.data.name }),
    Added: async (tx, e) => {
      runs.Added += 1
      const b = await tx.get(`b:${e.data.board}`)
      await tx.put({ id: `c:${e.streamId}`, board: e.data.board, title: e.data.title, boardName: b?.name ?? '?' })
    },
  },
  queries: { all: async (t) => (await t.toArray()).map(withoutSpace).sort(byId) },
})

/** Cards per board: one shared row per board (not idempotent: a missed undo or a double apply shows). */
const perBoard = defineProjection({
  name: 'perBoard',
  version: 1,
  from: [card],
  table: table<{ board: string; cards: number }>({ key: 'board' }),
  on: {
    Added: async (tx, e) => {
      const updated = await tx.update(e.data.board, (row) => ({ ...row, cards: row.cards + 1 }))
      if (!updated) await tx.put({ board: e.data.board, cards: 1 })
    },
  },
  queries: { all: async (t) => (await t.toArray()).map(withoutSpace).sort(byBoard) },
})

const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : 1)
const byBoard = (a: { board: string }, b: { board: string }) => (a.board < b.board ? -1 : 1)
const domain = defineDomain({ aggregates: { board, card }, projections: { view, perBoard } })
type Client = LocalClient<typeof domain>

async function readModels(c: Client) {
  return { view: await c.query('view.all'), perBoard: await c.query('perBoard.all') }
}

/** A fresh database fed by the server (its events in server order). */
async function reference(server: MemorySyncServer) {
  const fresh = syncClient(domain, server)
  await fresh.syncNow()
  const models = await readModels(fresh)
  await fresh.close()
  return models
}

describe('a pull that cannot change pending work', () => {
  it('is applied under it: pending handlers do not run again, read models and order equal the server’s', async () => {
    const server = new MemorySyncServer()
    const other = syncClient(domain, server)
    await other.execute('board.name', { id: 'a', input: { name: 'A' } })
    await other.execute('board.name', { id: 'z', input: { name: 'Z' } })
    await other.syncNow()
    const { client: mine, release } = heldClient(domain, server)
    await mine.syncNow()
    for (let i = 0; i < 30; i++) await mine.execute('card.add', { id: `m${i}`, input: { board: 'a', title: `m${i}` } })
    for (let i = 0; i < 5; i++) await other.execute('card.add', { id: `o${i}`, input: { board: 'z', title: `o${i}` } })
    await other.syncNow()

    const before = runs.Added
    const pendingBefore = (await localLog(mine)).filter((e) => e.gpos === undefined)
    await pullOnly(mine)
    expect(runs.Added - before).toBe(5) // the 5 pulled events only: the 30 pending ones were not re-applied
    // They were not even moved: the pulled events took free positions under them.
    expect((await localLog(mine)).filter((e) => e.gpos === undefined)).toEqual(pendingBefore)
    expect(mine.runtime.status.get().pending).toBe(30)
    // Pending events come after the pulled ones in the local log, as the server will order them.
    const log = await localLog(mine)
    expect(log.map((e) => e.id).slice(0, 7)).toEqual((await server.pull(0, 100)).events.map((e) => e.id))
    expect(log.slice(7).every((e) => e.gpos === undefined)).toBe(true)
    expect(new Set(log.map((e) => e.lpos)).size).toBe(log.length)

    release()
    await mine.syncNow()
    expect(mine.runtime.status.get().pending).toBe(0)
    expect(await readModels(mine)).toEqual(await reference(server))
    expect((await localLog(mine)).map((e) => e.id)).toEqual((await server.pull(0, 100)).events.map((e) => e.id))
    await mine.close()
    await other.close()
  })

  it('with no free positions under the pending work (made while sync was off), the general path runs once and leaves room', async () => {
    const server = new MemorySyncServer()
    const name = freshName('room')
    const offline = createLocalClient(domain, { name })
    for (let i = 0; i < 20; i++)
      await offline.execute('card.add', { id: `m${i}`, input: { board: 'a', title: `m${i}` } })
    await offline.close()
    const other = syncClient(domain, server)
    await other.execute('board.name', { id: 'z', input: { name: 'Z' } })
    for (let i = 0; i < 5; i++) await other.execute('card.add', { id: `o${i}`, input: { board: 'z', title: `o${i}` } })
    await other.syncNow()
    const { client: mine, release } = heldClient(domain, server, { name })
    await mine.query('perBoard.all') // opened: the undo of the 20 commands is recorded now that sync is on
    const pendingIds = (await localLog(mine)).map((e) => e.id)
    let before = runs.Added
    await pullOnly(mine)
    expect(runs.Added - before).toBe(25) // rolled back and re-applied after the pulled events
    const serverIds = async () => (await server.pull(0, 100)).events.map((e) => e.id)
    expect((await localLog(mine)).map((e) => e.id)).toEqual([...(await serverIds()), ...pendingIds])

    // The re-applied work starts past a gap: the next pull that cannot change it goes under it.
    for (let i = 5; i < 8; i++) await other.execute('card.add', { id: `o${i}`, input: { board: 'z', title: `o${i}` } })
    await other.syncNow()
    before = runs.Added
    await pullOnly(mine)
    expect(runs.Added - before).toBe(3)
    expect((await localLog(mine)).map((e) => e.id)).toEqual([...(await serverIds()), ...pendingIds])
    expect(await mine.query('perBoard.all')).toEqual([
      { board: 'a', cards: 20 },
      { board: 'z', cards: 8 },
    ])
    release()
    await mine.syncNow()
    expect(mine.runtime.status.get().pending).toBe(0)
    expect(await readModels(mine)).toEqual(await reference(server))
    await mine.close()
    await other.close()
  })

  it('a pulled event on a row pending work wrote (a shared count) takes the general path and stays exact', async () => {
    const server = new MemorySyncServer()
    const other = syncClient(domain, server)
    const { client: mine, release } = heldClient(domain, server)
    for (let i = 0; i < 10; i++) await mine.execute('card.add', { id: `m${i}`, input: { board: 'a', title: `m${i}` } })
    await other.execute('card.add', { id: 'o1', input: { board: 'a', title: 'o1' } })
    await other.syncNow()
    const before = runs.Added
    await pullOnly(mine)
    // The trial of the pulled event stopped at the shared row; then it and the ten pending ones were applied.
    expect(runs.Added - before).toBe(12)
    expect(await mine.query('perBoard.all')).toEqual([{ board: 'a', cards: 11 }])
    release()
    await mine.syncNow()
    expect(await readModels(mine)).toEqual(await reference(server))
    await mine.close()
    await other.close()
  })

  it('a pulled event on a row pending work only READ (the board a card copied its name from) takes the general path', async () => {
    const server = new MemorySyncServer()
    const other = syncClient(domain, server)
    await other.execute('board.name', { id: 'q', input: { name: 'old' } })
    await other.syncNow()
    const { client: mine, release } = heldClient(domain, server)
    await mine.syncNow()
    await mine.execute('card.add', { id: 'm1', input: { board: 'q', title: 'm1' } })
    await other.execute('board.name', { id: 'q', input: { name: 'new' } })
    await other.syncNow()
    await pullOnly(mine)
    // In server order the rename comes first: the pending card, applied after it, copies the new name.
    const cardRow = (await mine.query('view.all')).find((r) => r.id === 'c:m1')
    expect(cardRow?.boardName).toBe('new')
    release()
    await mine.syncNow()
    expect(await readModels(mine)).toEqual(await reference(server))
    await mine.close()
    await other.close()
  })

  it('later pulls that overlap roll back correctly what an earlier commuting pull moved', async () => {
    const server = new MemorySyncServer()
    const other = syncClient(domain, server)
    const { client: mine, release } = heldClient(domain, server)
    for (let i = 0; i < 10; i++) await mine.execute('card.add', { id: `m${i}`, input: { board: 'a', title: `m${i}` } })
    await other.execute('card.add', { id: 'o1', input: { board: 'b', title: 'o1' } })
    await other.syncNow()
    await pullOnly(mine) // commutes: board b is not touched by pending work
    await other.execute('card.add', { id: 'o2', input: { board: 'a', title: 'o2' } })
    await other.execute('board.name', { id: 'a', input: { name: 'A' } })
    await other.syncNow()
    await pullOnly(mine) // overlaps (board a's count): rolls back the moved pending events
    expect(await mine.query('perBoard.all')).toEqual([
      { board: 'a', cards: 11 },
      { board: 'b', cards: 1 },
    ])
    release()
    await mine.syncNow()
    expect(await readModels(mine)).toEqual(await reference(server))
    await mine.close()
    await other.close()
  })
})
