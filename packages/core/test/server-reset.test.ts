import { type Kanban, kanban, teamBoard } from '@cairn/example-kanban'
import { describe, expect, it } from 'vitest'
import { createLocalClient, type LocalClient } from '../src/client/local-client'
import type { SyncTransport } from '../src/sync/transport'
import { MemorySyncServer } from '../src/testing/memory-sync-server'
import { freshName } from './helpers'

/** A transport that follows whichever server is current: a reset replaces the server behind one URL. */
function switchable(servers: { current: MemorySyncServer }): SyncTransport {
  return {
    push: (request) => servers.current.transport().push(request),
    pull: (after, limit) => servers.current.transport().pull(after, limit),
  }
}

function client(servers: { current: MemorySyncServer }): LocalClient<Kanban> {
  return createLocalClient(kanban, {
    name: freshName('reset'),
    sync: { transport: switchable(servers), autoStart: false },
  })
}

describe('a server reset', () => {
  it('keeps local work: exportLog gives it as JSON, reuploadToServer puts it on the new server', async () => {
    const servers = { current: new MemorySyncServer() }
    const a = client(servers)
    const b = client(servers)
    await a.execute('board.create', { id: 'b1', input: teamBoard })
    await a.execute('board.addCard', { id: 'b1', input: { cardId: 'c1', title: 'One', column: 'todo' } })
    await a.syncNow()
    await b.syncNow()
    const before = servers.current.log.map((e) => e.type)

    const fresh = new MemorySyncServer()
    fresh.backendId = 'new-backend'
    servers.current = fresh
    await a.execute('board.addCard', { id: 'b1', input: { cardId: 'c2', title: 'Two', column: 'todo' } })
    await expect(a.syncNow()).rejects.toMatchObject({ name: 'SyncError', code: 'SERVER_RESET' })
    expect(fresh.head).toBe(0)

    const exported = await a.exportLog()
    expect(exported.events.map((e) => e.type)).toEqual([...before, 'CardAdded'])
    expect(exported.commands.filter((c) => c.status === 'pending')).toHaveLength(1)
    expect(JSON.parse(JSON.stringify(exported))).toEqual(exported)

    await expect(b.reuploadToServer()).rejects.toMatchObject({ code: 'NOT_RESET' })
    const result = await a.reuploadToServer()
    expect(result).toEqual({ pushed: before.length, backendId: 'new-backend' })
    await a.syncNow()
    expect(fresh.log.map((e) => e.type)).toEqual([...before, 'CardAdded'])
    expect(a.runtime.status.get().lastError).toBeNull()
    await expect.poll(() => a.runtime.status.get().pending).toBe(0)

    // Another device that knew the old server re-uploads the same events: idempotent, then it catches up.
    await expect(b.syncNow()).rejects.toMatchObject({ code: 'SERVER_RESET' })
    expect(await b.reuploadToServer()).toEqual({ pushed: before.length, backendId: 'new-backend' })
    await b.syncNow()
    expect(fresh.head).toBe(before.length + 1)
    const cards = await b.query('cards.onBoard', 'b1')
    expect(cards.map((c) => c.id).sort()).toEqual(['c1', 'c2'])
    await a.close()
    await b.close()
  })
})
