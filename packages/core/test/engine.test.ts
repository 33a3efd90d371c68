import { kanban } from '@cairn/example-kanban'
import { describe, expect, it } from 'vitest'
import { createLocalClient } from '../src/client/local-client'
import { uuidv7 } from '../src/domain/ids'
import { kanbanV2 } from './fixtures/kanban-v2'
import { todoDomain } from './fixtures/todo'
import { freshName, localClient, seedBoard } from './helpers'

describe('idempotency and concurrency', () => {
  it('a command id seen before returns the first result and appends nothing', async () => {
    const c = localClient()
    await seedBoard(c)
    const req = { id: 'b1', commandId: 'cmd-1', input: { cardId: 'c1', title: 'Once', column: 'todo' } }
    const first = await c.execute('board.addCard', req)
    const again = await c.execute('board.addCard', req)
    expect(again).toEqual({ ...first, duplicate: true })
    expect(await c.runtime.database.table('events').count()).toBe(5)
    await c.close()
  })

  it('two runtimes on one database: cached state is revalidated against the stream head', async () => {
    const name = freshName()
    const a = createLocalClient(kanban, { name })
    const b = createLocalClient(kanban, { name })
    await seedBoard(a)
    await a.execute('board.addCard', { id: 'b1', input: { cardId: 'c1', title: 'A', column: 'todo' } })
    await b.execute('board.addCard', { id: 'b1', input: { cardId: 'c2', title: 'B', column: 'todo' } })
    // a's cache holds version 5; b appended version 6; a must decide on version 6.
    await a.execute('board.moveCard', { id: 'b1', input: { cardId: 'c1', to: 'doing' } })
    await expect(a.execute('board.moveCard', { id: 'b1', input: { cardId: 'c2', to: 'doing' } })).rejects.toMatchObject(
      {
        code: 'WipLimitReached',
      },
    )
    const all = await a.runtime.database.table('events').toArray()
    expect(all.map((e) => e.version)).toEqual([1, 2, 3, 4, 5, 6, 7])
    await a.close()
    await b.close()
  })

  it('racing runtimes never produce two events with one version', async () => {
    const name = freshName()
    const a = createLocalClient(kanban, { name })
    const b = createLocalClient(kanban, { name })
    await seedBoard(a)
    await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        (i % 2 ? a : b).execute('board.addCard', {
          id: 'b1',
          input: { cardId: `c${i}`, title: `${i}`, column: 'todo' },
        }),
      ),
    )
    const versions = (await a.runtime.database.table('events').toArray()).map((e) => e.version)
    expect(versions).toEqual(Array.from({ length: 34 }, (_, i) => i + 1))
    await a.close()
    await b.close()
  })
})

describe('group commit under load', () => {
  it('a burst of 1,500 commands: every one lands exactly once, in one version each', async () => {
    const c = localClient(todoDomain)
    const results = await Promise.all(
      Array.from({ length: 1500 }, (_, i) => c.execute('todo.add', { id: `t${i}`, input: { title: `todo ${i}` } })),
    )
    expect(results.every((r) => r.version === 1 && r.events.length === 1)).toBe(true)
    const events = await c.runtime.database.table('events').toArray()
    expect(events).toHaveLength(1500)
    expect(new Set(events.map((e) => e.stream)).size).toBe(1500)
    expect(events.map((e) => e.lpos)).toEqual(Array.from({ length: 1500 }, (_, i) => i + 1))
    expect(await c.runtime.database.table('commands').count()).toBe(1500)
    expect((await c.query('todos.open')).length).toBe(1500)
    await c.close()
  })
})

describe('store and lifecycle', () => {
  it('keeps a UUIDv7 client id across restarts', async () => {
    const name = freshName()
    const a = createLocalClient(kanban, { name })
    await a.runtime.ready
    const id = a.runtime.clientId
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    await a.close()
    const b = createLocalClient(kanban, { name })
    await b.runtime.ready
    expect(b.runtime.clientId).toBe(id)
    await b.close()
  })

  it('stamps metadata on every event', async () => {
    const c = localClient(kanban, { now: () => 1234 })
    await seedBoard(c)
    const r = await c.execute('board.addCard', {
      id: 'b1',
      input: { cardId: 'c1', title: 'x', column: 'todo' },
      correlationId: 'corr',
      causationId: 'cause',
    })
    const e = await c.runtime.database
      .table('events')
      .where('id')
      .equals(r.events[0]?.id ?? '')
      .first()
    expect(e.meta).toEqual({
      commandId: r.commandId,
      clientId: c.runtime.clientId,
      issuedAt: 1234,
      schemaVersion: 1,
      correlationId: 'corr',
      causationId: 'cause',
    })
    await c.close()
  })

  it('rebuilds a projection whose version, key or indexes changed, with progress', async () => {
    const name = freshName()
    const v1 = createLocalClient(kanban, { name })
    await seedBoard(v1)
    for (let i = 0; i < 25; i++) {
      await v1.execute('board.addCard', { id: 'b1', input: { cardId: `c${i}`, title: `T${i % 5}`, column: 'todo' } })
    }
    await v1.close()
    const progress: { projection: string; done: number; total: number }[] = []
    const v2 = createLocalClient(kanbanV2, { name, onProgress: (p) => progress.push(p) })
    expect(await v2.query('cards.byTitle', 'T3')).toHaveLength(5)
    expect(progress.at(-1)).toEqual({ projection: 'cards', done: 29, total: 29 })
    // the old table is gone and the columns projection was not rebuilt
    const tables = v2.runtime.database.tables.map((t) => t.name).filter((n) => n.startsWith('rm_'))
    expect(tables).toHaveLength(2)
    expect(progress.every((p) => p.projection === 'cards')).toBe(true)
    await v2.close()
    // starting v2 again does not rebuild
    const again: unknown[] = []
    const v2b = createLocalClient(kanbanV2, { name, onProgress: (p) => again.push(p) })
    expect(await v2b.query('cards.onBoard', 'b1')).toHaveLength(25)
    expect(again).toEqual([])
    await v2b.close()
  })

  it('async projections catch up after commit; whenProcessed waits for them', async () => {
    const c = localClient(todoDomain)
    let last = 0
    for (let i = 0; i < 5; i++) {
      const r = await c.execute('todo.add', { id: `t${i}`, input: { title: `todo ${i}` } })
      last = r.events[0]?.position ?? 0
    }
    await c.whenProcessed(last)
    expect(await c.query('todoStats.total')).toBe(5)
    await c.close()
  })
})

describe('queries', () => {
  it('named queries, multi-entry indexes and find with ranges, order and paging', async () => {
    const c = localClient(todoDomain)
    for (let i = 0; i < 10; i++) {
      await c.execute('todo.add', { id: `t${i}`, input: { title: `todo ${i}`, tags: i % 2 ? ['odd'] : ['even'] } })
    }
    await c.execute('todo.finish', { id: 't3', input: {} })
    expect((await c.query('todos.open')).length).toBe(9)
    expect((await c.query('todos.tagged', 'odd')).map((r) => r.id).sort()).toEqual(['t1', 't3', 't5', 't7', 't9'])
    const page = await c.find('todos', { where: { done: 0 }, orderBy: '-title', limit: 3, offset: 1 })
    expect(page.map((r) => r.title)).toEqual(['todo 8', 'todo 7', 'todo 6'])
    const range = await c.find('todos', { where: { title: { gte: 'todo 2', lt: 'todo 5' } } })
    expect(range.map((r) => r.title)).toEqual(['todo 2', 'todo 3', 'todo 4'])
    const ordered = await c.find('todos', { orderBy: 'title', limit: 2 })
    expect(ordered.map((r) => r.title)).toEqual(['todo 0', 'todo 1'])
    await c.close()
  })

  it('identical live queries share one subscription; results are pushed only on change', async () => {
    const c = localClient()
    await seedBoard(c)
    const a: unknown[] = []
    const b: unknown[] = []
    const stopA = c.subscribe('cards.byColumn', { board: 'b1', column: 'todo' }, (rows) => a.push(rows))
    const stopB = c.subscribe('cards.byColumn', { board: 'b1', column: 'todo' }, (rows) => b.push(rows))
    await expect.poll(() => a.length + b.length).toBe(2)
    expect(c.runtime.liveQueryCount).toBe(1)
    await c.execute('board.addCard', { id: 'b1', input: { cardId: 'c1', title: 'x', column: 'done' } })
    await c.execute('board.addCard', { id: 'b1', input: { cardId: 'c2', title: 'y', column: 'todo' } })
    await expect.poll(() => a.length).toBe(2)
    expect(b).toHaveLength(2)
    stopA()
    stopB()
    expect(c.runtime.liveQueryCount).toBe(0)
    await c.close()
  })
})

describe('ids', () => {
  it('uuidv7 is time-ordered and unique', () => {
    const ids = Array.from({ length: 1000 }, () => uuidv7())
    expect(new Set(ids).size).toBe(1000)
    expect([...ids].sort()).toEqual(ids)
  })

  it('uuidv7 has the RFC 9562 layout: 48-bit ms timestamp, version 7, a counter within one ms, variant 10', () => {
    const now = Date.UTC(2031, 4, 6, 7, 8, 9, 10)
    const [a, b] = [uuidv7(now), uuidv7(now)]
    for (const id of [a, b]) {
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
      expect(Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBe(now)
    }
    // The same millisecond: the 12-bit counter after the version goes up by one.
    expect(Number.parseInt(b!.slice(15, 18), 16)).toBe(Number.parseInt(a!.slice(15, 18), 16) + 1)
    // Random bits differ.
    expect(a!.slice(19)).not.toBe(b!.slice(19))
  })
})
