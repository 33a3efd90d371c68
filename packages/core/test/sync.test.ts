import { type Kanban, kanban, teamBoard } from '@cairn/example-kanban'
import { describe, expect, it } from 'vitest'
import { createLocalClient, type LocalClient } from '../src/client/local-client'
import type { RejectedCommand } from '../src/runtime/status'
import { SyncHttpError, type SyncTransport } from '../src/sync/transport'
import { MemorySyncServer } from '../src/testing/memory-sync-server'
import { freshName } from './helpers'

function syncedClient(server: MemorySyncServer): LocalClient<Kanban> {
  return createLocalClient(kanban, {
    name: freshName('sync'),
    sync: { transport: server.transport(), autoStart: false },
  })
}

async function board(c: LocalClient<Kanban>) {
  const cols = await c.query('columns.onBoard', 'b1')
  return cols.map((col) => `${col.column}:${[...col.cardIds].sort().join(',')}`).join(' | ')
}

async function seed(c: LocalClient<Kanban>) {
  await c.execute('board.create', {
    id: 'b1',
    input: teamBoard,
  })
  await c.execute('board.addCard', { id: 'b1', input: { cardId: 'c1', title: 'One', column: 'todo' } })
  await c.execute('board.addCard', { id: 'b1', input: { cardId: 'c2', title: 'Two', column: 'todo' } })
}

describe('client sync against an in-memory server', () => {
  it('pushes, pulls and confirms: the other client sees the same board', async () => {
    const server = new MemorySyncServer()
    const a = syncedClient(server)
    const b = syncedClient(server)
    await seed(a)
    await a.syncNow()
    expect(server.head).toBe(6)
    await b.syncNow()
    expect(await board(b)).toBe(await board(a))
    const log = await a.runtime.database
      .table('events')
      .where('[space+gpos]')
      .between(['default', 0], ['default', Infinity])
      .toArray()
    expect(log.map((e) => e.id)).toEqual(server.log.map((e) => e.id))
    expect(await a.runtime.database.table('undo').count()).toBe(0)
    let status = a.runtime.status.get()
    expect(status.pending).toBe(0)
    expect(status.head).toBe(6)
    await a.close()
    await b.close()
    status = b.runtime.status.get()
    expect(status.lastError).toBeNull()
  })

  it('WIP limit: two offline moves into the last free slot — one stands, the other is rejected and reported', async () => {
    const server = new MemorySyncServer()
    const a = syncedClient(server)
    const b = syncedClient(server)
    await seed(a)
    await a.syncNow()
    await b.syncNow()
    // both offline
    await a.execute('board.moveCard', { id: 'b1', input: { cardId: 'c1', to: 'doing' } })
    await b.execute('board.moveCard', { id: 'b1', input: { cardId: 'c2', to: 'doing' } })
    const seen: RejectedCommand[] = []
    b.onRejected((r) => seen.push(r))
    await a.syncNow()
    await b.syncNow()
    await a.syncNow()
    expect(await board(a)).toBe('todo:c2 | doing:c1 | done:')
    expect(await board(b)).toBe(await board(a))
    await expect.poll(() => seen.length).toBe(1)
    expect(seen[0]).toMatchObject({
      path: 'board.moveCard',
      code: 'WipLimitReached',
      input: { cardId: 'c2', to: 'doing' },
    })
    expect(b.runtime.status.get().rejected).toEqual([expect.objectContaining({ code: 'WipLimitReached' })])
    expect(b.runtime.status.get().pending).toBe(0)
    // durable: a restarted client still lists it
    const name = b.runtime.database.name
    await b.close()
    const again = createLocalClient(kanban, { name, sync: { transport: server.transport(), autoStart: false } })
    await expect.poll(() => again.runtime.status.get().rejected.length).toBe(1)
    await again.dismissRejected(seen[0]?.commandId ?? '')
    await expect.poll(() => again.runtime.status.get().rejected.length).toBe(0)
    await again.close()
    await a.close()
  })

  it('rebase: concurrent edits of one aggregate both stand, re-run on the new state', async () => {
    const server = new MemorySyncServer()
    const a = syncedClient(server)
    const b = syncedClient(server)
    await seed(a)
    await a.syncNow()
    await b.syncNow()
    await a.execute('board.moveCard', { id: 'b1', input: { cardId: 'c1', to: 'done' } })
    await b.execute('board.moveCard', { id: 'b1', input: { cardId: 'c2', to: 'done' } })
    await b.execute('card.rename', { id: 'c2', input: { title: 'Two (renamed)' } })
    await a.syncNow()
    await b.syncNow()
    await a.syncNow()
    expect(await board(a)).toBe('todo: | doing: | done:c1,c2')
    expect(await board(b)).toBe(await board(a))
    expect((await a.query('cards.byId', 'c2'))?.title).toBe('Two (renamed)')
    expect(server.log.filter((e) => e.type === 'CardMoved').map((e) => e.version)).toEqual([7, 8])
    for (const c of [a, b]) {
      const ids = (
        await c.runtime.database
          .table('events')
          .where('[space+gpos]')
          .between(['default', 0], ['default', Infinity])
          .toArray()
      ).map((e) => e.id)
      expect(ids).toEqual(server.log.map((e) => e.id))
    }
    await a.close()
    await b.close()
  })

  it('keeps pulling past pages the server cut short (its byte budget) until it reaches the head', async () => {
    const server = new MemorySyncServer()
    const a = syncedClient(server)
    await seed(a)
    await a.syncNow()
    const short = server.transport()
    const b = createLocalClient(kanban, {
      name: freshName('short'),
      sync: {
        autoStart: false,
        transport: { ...short, pull: async (after) => short.pull(after, 2) },
      },
    })
    await b.syncNow()
    expect(await board(b)).toBe('todo:c1,c2 | doing: | done:')
    await a.close()
    await b.close()
  })

  it('a 400 that lists refused events (unstorable data) rejects those commands and syncs the rest', async () => {
    const server = new MemorySyncServer()
    const inner = server.transport()
    const picky: SyncTransport = {
      ...inner,
      push: async (request) => {
        const bad = request.events.filter((e) => e.type === 'CardAdded' && e.data.title === 'bad')
        if (bad.length === 0) return inner.push(request)
        throw new SyncHttpError(400, {
          code: 'BAD_REQUEST',
          message: 'data cannot be stored',
          refused: bad.map((e) => ({
            id: e.id,
            commandId: String(e.meta?.commandId),
            code: 'BAD_REQUEST' as const,
            message: 'NEGATIVE_ZERO',
          })),
        })
      },
    }
    const a = createLocalClient(kanban, { name: freshName('bad'), sync: { transport: picky, autoStart: false } })
    await seed(a)
    const { commandId } = await a.execute('board.addCard', {
      id: 'b1',
      input: { cardId: 'c3', title: 'bad', column: 'todo' },
    })
    await a.syncNow()
    expect(server.log.some((e) => e.data.title === 'bad')).toBe(false)
    expect(server.head).toBe(6)
    expect(await board(a)).toBe('todo:c1,c2 | doing: | done:')
    await expect
      .poll(() => a.runtime.status.get().rejected.map((r) => [r.commandId, r.code]))
      .toEqual([[commandId, 'BAD_REQUEST']])
    await a.close()
  })

  it('pause stops syncing until resumed', async () => {
    const server = new MemorySyncServer()
    const a = syncedClient(server)
    await seed(a)
    await a.pauseSync()
    await expect.poll(() => a.runtime.status.get().paused).toBe(true)
    // Paused means nothing leaves this device, even when asked to sync now.
    await expect(a.syncNow()).rejects.toMatchObject({ name: 'SyncError', code: 'SYNC_PAUSED' })
    expect(server.head).toBe(0)
    await a.resumeSync()
    await expect.poll(() => a.runtime.status.get().paused).toBe(false)
    await a.syncNow()
    expect(server.head).toBe(6)
    await a.close()
  })

  it('detects a server reset and keeps local data', async () => {
    const server = new MemorySyncServer()
    const a = syncedClient(server)
    await seed(a)
    await a.syncNow()
    server.backendId = 'another-backend'
    await expect(a.syncNow()).rejects.toThrow(/reset/)
    expect(a.runtime.status.get().lastError?.code).toBe('SERVER_RESET')
    expect(await board(a)).toBe('todo:c1,c2 | doing: | done:')
    await a.close()
  })
})
