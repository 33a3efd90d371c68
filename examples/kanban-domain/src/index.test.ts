import { createLocalClient, spacesTransport } from '@cairn/core'
import { MemorySyncServer } from '@cairn/core/testing'
import { describe, expect, it } from 'vitest'
import { kanban, teamBoard } from './index'

let n = 0
const fresh = () => `kanban-${Date.now().toString(36)}-${++n}`

describe('cards.acrossBoards', () => {
  it('lists the open cards of every board in the database, newest first, and forgets a board left', async () => {
    const servers = new Map([
      ['b1', new MemorySyncServer()],
      ['b2', new MemorySyncServer()],
    ])
    // A clock that ticks on every read: each command has its own time, so "newest first" is well defined.
    let clock = 1_000
    const cairn = createLocalClient(kanban, {
      name: fresh(),
      now: () => clock++,
      sync: {
        spaces: ['b1', 'b2'],
        spacesTransport: spacesTransport((space) => servers.get(space)?.transport()),
        autoStart: false,
      },
    })
    for (const board of ['b1', 'b2']) await cairn.execute('board.create', { id: board, space: board, input: teamBoard })
    const add = (board: string, cardId: string, title: string) =>
      cairn.execute('board.addCard', { id: board, space: board, input: { cardId, title, column: 'todo' } })
    await add('b1', 'c1', 'one')
    await add('b2', 'c2', 'two')
    await add('b1', 'c3', 'three')
    await cairn.execute('board.archiveCard', { id: 'b2', input: { cardId: 'c2' } })
    await add('b2', 'c4', 'four')

    const titles = async () => (await cairn.query('cards.acrossBoards')).map((c) => `${c.board}/${c.title}`)
    expect(await titles()).toEqual(['b2/four', 'b1/three', 'b1/one'])

    await cairn.syncNow()
    await cairn.leaveSpace('b1')
    expect(await titles()).toEqual(['b2/four'])
    await cairn.close()
  })
})
