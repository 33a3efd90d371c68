/**
 * Both sides of a refusal together: the server, as the authority of its space, refuses some events of a push;
 * the Cairn sync client turns each refused command into a durable rejection and keeps syncing the rest.
 */
import { createLocalClient, httpTransport } from '@cairn/core'
import { kanban, teamBoard } from '@cairn/example-kanban'
import { createMemoryStorage, createSyncServer } from '@cairn/server'
import { describe, expect, it } from 'vitest'

const url = 'http://cairn.test'
let n = 0

describe('a server that refuses events, and the sync client', () => {
  it('forbidden and invalid commands become rejections with the server code; the rest syncs; others never see them', async () => {
    const server = createSyncServer({
      storage: createMemoryStorage(),
      domain: kanban,
      rateLimit: false,
      // Nobody may add a card titled "secret".
      authorizeEvent: ({ event }) => !(event.type === 'CardAdded' && event.data.title === 'secret'),
    })
    const space = `refusal-${++n}`
    const client = (name: string) =>
      createLocalClient(kanban, {
        name: `${name}-${Math.random().toString(36).slice(2)}`,
        sync: { autoStart: false, transport: httpTransport({ url, space, fetch: server.fetch }) },
      })
    const a = client('a')
    const b = client('b')
    await a.execute('board.create', { id: 'b1', input: teamBoard })
    const secret = await a.execute('board.addCard', {
      id: 'b1',
      input: { cardId: 'c1', title: 'secret', column: 'todo' },
    })
    await a.execute('board.addCard', { id: 'b1', input: { cardId: 'c2', title: 'public', column: 'todo' } })
    await a.syncNow()

    await expect
      .poll(() => a.runtime.status.get().rejected.map((r) => [r.commandId, r.code]))
      .toEqual([[secret.commandId, 'FORBIDDEN']])
    expect((await a.query('cards.onBoard', 'b1')).map((c) => c.title)).toEqual(['public'])
    await expect.poll(() => a.runtime.status.get().pending).toBe(0)

    await b.syncNow()
    expect((await b.query('cards.onBoard', 'b1')).map((c) => c.title)).toEqual(['public'])
    await a.close()
    await b.close()
  })
})
