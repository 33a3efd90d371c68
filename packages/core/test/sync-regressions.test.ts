/** Regression tests for sync bugs found in review. */

import { kanban } from '@cairn/example-kanban'
import { describe, expect, it } from 'vitest'
import { createLocalClient } from '../src/client/local-client'
import { defineAggregate, defineDomain, defineEvents, defineProjection, event, table } from '../src/domain'
import { httpTransport, SyncHttpError } from '../src/sync/transport'
import { MemorySyncServer } from '../src/testing/memory-sync-server'
import { kanbanV2 } from './fixtures/kanban-v2'
import { freshName } from './helpers'

const sync = (server: MemorySyncServer, extra: object = {}) => ({
  transport: server.transport(),
  autoStart: false,
  ...extra,
})

describe('sync regressions', () => {
  it('an async projection that is not idempotent stays exact through a rebase', async () => {
    const item = defineAggregate({
      name: 'item',
      events: defineEvents({ Added: event<{ n: number }>() }),
      initialState: () => ({}),
      evolve: { Added: (s) => s },
      commands: { add: (_s, input: { n: number }, ctx) => ctx.event('Added', input) },
    })
    const counter = defineProjection({
      name: 'counter',
      version: 1,
      mode: 'async',
      from: [item],
      table: table<{ id: string; count: number }>({ key: 'id' }),
      on: {
        Added: async (tx) => {
          const row = (await tx.get('all')) ?? { id: 'all', count: 0 }
          await tx.put({ id: 'all', count: row.count + 1 })
        },
      },
      queries: { count: async (t) => (await t.get('all'))?.count ?? 0 },
    })
    const domain = defineDomain({ aggregates: { item }, projections: { counter } })
    const server = new MemorySyncServer()
    const a = createLocalClient(domain, { name: freshName('async'), sync: sync(server) })
    const b = createLocalClient(domain, { name: freshName('async'), sync: sync(server) })
    const r = await a.execute('item.add', { id: 'x', input: { n: 1 } })
    await a.whenProcessed(r.events[0]?.position ?? 0)
    expect(await a.query('counter.count')).toBe(1)
    await b.execute('item.add', { id: 'y', input: { n: 2 } })
    await b.syncNow()
    await a.syncNow() // B's event comes first: A's pending event is rolled back and re-applied
    await expect.poll(() => a.query('counter.count')).toBe(2)
    await b.syncNow()
    await expect.poll(() => b.query('counter.count')).toBe(2)
    await a.close()
    await b.close()
  })

  it('a command whose events arrive in separate pull pages ends confirmed', async () => {
    const server = new MemorySyncServer()
    const a = createLocalClient(kanban, { name: freshName('pages'), sync: sync(server, { pullLimit: 1 }) })
    await a.execute('board.create', {
      id: 'b',
      input: {
        title: 'x',
        columns: [
          { id: 'todo', title: 'To do' },
          { id: 'done', title: 'Done' },
        ],
      },
    })
    await a.syncNow()
    await expect.poll(() => a.runtime.status.get().pending).toBe(0)
    expect((await a.runtime.database.table('commands').toArray()).map((c) => c.status)).toEqual(['confirmed'])
    await a.close()
  })

  it("a re-run command still honours its expectedVersion ('no_stream' after someone created the stream)", async () => {
    const server = new MemorySyncServer()
    const a = createLocalClient(kanban, { name: freshName('ev'), sync: sync(server) })
    const b = createLocalClient(kanban, { name: freshName('ev'), sync: sync(server) })
    const input = { title: 'x', columns: [{ id: 'todo', title: 'To do' }] }
    await a.execute('card.rename', { id: 'c', input: { title: 'mine' }, expectedVersion: 'no_stream' })
    await b.execute('card.rename', { id: 'c', input: { title: 'theirs' } })
    await b.execute('board.create', { id: 'b', input })
    await b.syncNow()
    await a.syncNow()
    expect(a.runtime.status.get().rejected).toEqual([
      expect.objectContaining({ code: 'CONCURRENCY', path: 'card.rename' }),
    ])
    expect(server.log.filter((e) => e.stream === 'card:c')).toHaveLength(1)
    await a.close()
    await b.close()
  })

  it('a projection upgrade while commands are pending does not break the next rebase', async () => {
    const server = new MemorySyncServer()
    const name = freshName('upgrade')
    const a = createLocalClient(kanban, { name, sync: sync(server) })
    const b = createLocalClient(kanban, { name: freshName('other'), sync: sync(server) })
    await a.execute('board.create', { id: 'b', input: { title: 'x', columns: [{ id: 'todo', title: 'To do' }] } })
    await a.syncNow()
    await b.syncNow()
    await a.execute('board.addCard', { id: 'b', input: { cardId: 'mine', title: 'Mine', column: 'todo' } })
    await a.close()
    // The app updates (cards projection v2: rebuilt) while A's command is pending; B's change arrives.
    const upgraded = createLocalClient(kanbanV2, { name, sync: sync(server) })
    await b.execute('board.addCard', { id: 'b', input: { cardId: 'theirs', title: 'Theirs', column: 'todo' } })
    await b.syncNow()
    await upgraded.syncNow()
    await b.syncNow()
    const titles = async (c: { query: typeof upgraded.query }) =>
      (await c.query('cards.onBoard', 'b')).map((r) => r.title).sort()
    expect(await titles(upgraded)).toEqual(['Mine', 'Theirs'])
    expect(await titles(b as never)).toEqual(['Mine', 'Theirs'])
    await upgraded.close()
    await b.close()
  })

  it('a batch the server finds too large (413) is split, whole commands at a time', async () => {
    const server = new MemorySyncServer()
    const inner = server.transport()
    const sizes: number[] = []
    const picky = {
      ...inner,
      push: async (request: Parameters<typeof inner.push>[0]) => {
        sizes.push(request.events.length)
        if (request.events.length > 5) throw new SyncHttpError(413, { code: 'PAYLOAD_TOO_LARGE', message: 'too large' })
        return inner.push(request)
      },
    }
    const a = createLocalClient(kanban, { name: freshName('split'), sync: { transport: picky, autoStart: false } })
    await a.execute('board.create', { id: 'b', input: { title: 'x', columns: [{ id: 'todo', title: 'To do' }] } })
    for (let i = 0; i < 12; i++) {
      await a.execute('board.addCard', { id: 'b', input: { cardId: `c${i}`, title: `${i}`, column: 'todo' } })
    }
    await a.syncNow()
    expect(server.head).toBe(14)
    expect(sizes[0]).toBe(14)
    expect(Math.max(...sizes.slice(-3))).toBeLessThanOrEqual(5)
    await expect.poll(() => a.runtime.status.get().pending).toBe(0)
    await a.close()
  })

  it('an error answer without Retry-After has no retry delay of zero', async () => {
    const transport = httpTransport({
      url: 'http://server.test',
      space: 's',
      fetch: async () =>
        new Response(JSON.stringify({ code: 'STORAGE_UNAVAILABLE', message: 'down' }), { status: 503 }),
    })
    const error = await transport.pull(0, 10).catch((e) => e)
    expect(error).toBeInstanceOf(SyncHttpError)
    expect(error.retryAfterMs).toBeUndefined()
    const limited = httpTransport({
      url: 'http://server.test',
      space: 's',
      fetch: async () =>
        new Response(JSON.stringify({ code: 'RATE_LIMITED', message: 'slow down' }), {
          status: 429,
          headers: { 'retry-after': '2' },
        }),
    })
    expect((await limited.pull(0, 10).catch((e) => e)).retryAfterMs).toBe(2000)
  })
})
