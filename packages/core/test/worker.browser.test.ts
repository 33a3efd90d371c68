import type { CardRow } from '@cairn/example-kanban'
import { describe, expect, it } from 'vitest'
import { kanbanClient, kanbanV2Client, seed, uniqueDb, waitFor } from './browser-helpers'

describe('worker + Comlink + IndexedDB in Chromium', () => {
  it('executes commands and answers queries through the worker', async () => {
    const c = kanbanClient(uniqueDb('basic'))
    await seed(c)
    const r = await c.execute('board.addCard', { id: 'b1', input: { cardId: 'c1', title: 'Hello', column: 'todo' } })
    expect(r.events[0]?.type).toBe('CardAdded')
    expect((await c.query('cards.byId', 'c1'))?.title).toBe('Hello')
    expect(await c.find('cards', { where: { board: 'b1' } })).toHaveLength(1)
    await c.close()
  })

  it('keeps error names, codes and details across the worker boundary', async () => {
    const c = kanbanClient(uniqueDb('errors'))
    await seed(c)
    await c.execute('board.addCard', { id: 'b1', input: { cardId: 'c1', title: 'A', column: 'doing' } })
    await expect(
      c.execute('board.moveCard', { id: 'b1', input: { cardId: 'nope', to: 'done' } }),
    ).rejects.toMatchObject({ name: 'CommandRejected', code: 'NoSuchCard' })
    await expect(
      c.execute('board.addCard', { id: 'b1', input: { cardId: 'c2', title: 'B', column: 'doing' } }),
    ).rejects.toMatchObject({ name: 'CommandRejected', code: 'WipLimitReached' })
    // @ts-expect-error unknown path
    await expect(c.execute('board.fly', { id: 'b1', input: {} })).rejects.toMatchObject({ code: 'UNKNOWN_PATH' })
    await expect(
      c.execute('board.create', { id: 'b1', input: { title: 'x', columns: [] }, expectedVersion: 0 }),
    ).rejects.toMatchObject({ name: 'ConcurrencyError', details: { expected: 0, actual: 5 } })
    await expect(
      c.execute('card.describe', { id: 'c1', input: { description: (() => 1) as unknown as string } }),
    ).rejects.toMatchObject({ name: 'StorageError', code: 'NOT_CLONEABLE' })
    const err = await c
      .execute('board.addCard', { id: 'b1', input: { cardId: 'c2', title: 'B', column: 'doing' } })
      .catch((e) => e)
    expect(err).toBeInstanceOf(Error)
    await c.close()
  })

  it('pushes live query results only when they change', async () => {
    const c = kanbanClient(uniqueDb('live'))
    await seed(c)
    const seen: CardRow[][] = []
    const stop = c.subscribe('cards.byColumn', { board: 'b1', column: 'todo' }, (rows) => seen.push(rows))
    await waitFor(() => seen.length === 1)
    expect(seen[0]).toEqual([])
    await c.execute('board.addCard', { id: 'b1', input: { cardId: 'c1', title: 'One', column: 'todo' } })
    await waitFor(() => seen.length === 2)
    expect(seen[1]?.map((r) => r.title)).toEqual(['One'])
    // A change to another column must not produce a new result for this query.
    await c.execute('board.addCard', { id: 'b1', input: { cardId: 'c2', title: 'Two', column: 'done' } })
    await c.execute('board.addCard', { id: 'b1', input: { cardId: 'c3', title: 'Three', column: 'todo' } })
    await waitFor(() => seen.length === 3)
    expect(seen[2]?.map((r) => r.title)).toEqual(['One', 'Three'])
    stop()
    await c.close()
  })
})

describe('two workers on one database (two tabs)', () => {
  it('racing commands on one aggregate never produce two events with one version', async () => {
    const db = uniqueDb('race')
    const a = kanbanClient(db)
    const b = kanbanClient(db)
    await seed(a)
    const moves = Array.from({ length: 40 }, (_, i) => {
      const client = i % 2 ? a : b
      return client.execute('board.addCard', {
        id: 'b1',
        input: { cardId: `c${i}`, title: `Card ${i}`, column: 'todo' },
      })
    })
    const results = await Promise.all(moves)
    const versions = results.map((r) => r.version).sort((x, y) => x - y)
    expect(new Set(versions).size).toBe(40)
    expect(versions).toEqual(Array.from({ length: 40 }, (_, i) => 5 + i))
    const cols = await b.query('columns.onBoard', 'b1')
    expect(cols.find((x) => x.column === 'todo')?.cardIds.length).toBe(40)
    await a.close()
    await b.close()
  })

  it("updates a live query in one worker after the other worker's command", async () => {
    const db = uniqueDb('cross')
    const a = kanbanClient(db)
    await seed(a)
    const b = kanbanClient(db)
    let latest: CardRow[] = []
    const stop = a.subscribe('cards.onBoard', 'b1', (rows) => {
      latest = rows
    })
    await b.execute('board.addCard', { id: 'b1', input: { cardId: 'x', title: 'From B', column: 'todo' } })
    await waitFor(() => latest.some((r) => r.title === 'From B'))
    stop()
    await a.close()
    await b.close()
  })

  it('enforces the WIP limit across workers (a local conflict is re-decided on the new state)', async () => {
    const db = uniqueDb('wip')
    const a = kanbanClient(db)
    await seed(a)
    await a.execute('board.addCard', { id: 'b1', input: { cardId: 'c1', title: 'A', column: 'todo' } })
    await a.execute('board.addCard', { id: 'b1', input: { cardId: 'c2', title: 'B', column: 'todo' } })
    const b = kanbanClient(db)
    await b.query('cards.onBoard', 'b1')
    const outcomes = await Promise.allSettled([
      a.execute('board.moveCard', { id: 'b1', input: { cardId: 'c1', to: 'doing' } }),
      b.execute('board.moveCard', { id: 'b1', input: { cardId: 'c2', to: 'doing' } }),
    ])
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1)
    const rejected = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult
    expect(rejected.reason).toMatchObject({ code: 'WipLimitReached' })
    await a.close()
    await b.close()
  })
})

describe('projection rebuild', () => {
  it('rebuilds a projection from the log after a version bump, reporting progress', async () => {
    const db = uniqueDb('rebuild')
    const v1 = kanbanClient(db)
    await seed(v1)
    for (let i = 0; i < 30; i++) {
      await v1.execute('board.addCard', { id: 'b1', input: { cardId: `c${i}`, title: `T${i % 3}`, column: 'todo' } })
    }
    await v1.close()
    const v2 = kanbanV2Client(db)
    const progress: { done: number; total: number }[] = []
    v2.subscribeStatus((s) => {
      if (s.rebuilding) progress.push({ done: s.rebuilding.done, total: s.rebuilding.total })
    })
    // The new index answers queries, and the rebuilt rows are all there.
    const t1 = await v2.query('cards.byTitle', 'T1')
    expect(t1).toHaveLength(10)
    expect(await v2.query('cards.onBoard', 'b1')).toHaveLength(30)
    await v2.close()
    expect(progress.length).toBeGreaterThan(0)
  })
})
