import { describe, expect, it } from 'vitest'
import { localClient, seedBoard } from './helpers'

describe('runtime: commands, projections, queries', () => {
  it('runs a command, appends events, updates projections', async () => {
    const c = localClient()
    await seedBoard(c)
    const r = await c.execute('board.addCard', {
      id: 'b1',
      input: { cardId: 'c1', title: 'Write docs', column: 'todo' },
    })
    expect(r.stream).toBe('board:b1')
    expect(r.version).toBe(5)
    expect(r.events.map((e) => e.type)).toEqual(['CardAdded'])
    const cards = await c.query('cards.byColumn', { board: 'b1', column: 'todo' })
    expect(cards.map((x) => x.title)).toEqual(['Write docs'])
    const cols = await c.query('columns.onBoard', 'b1')
    expect(cols.map((x) => [x.column, x.cardIds.length])).toEqual([
      ['todo', 1],
      ['doing', 0],
      ['done', 0],
    ])
    await c.close()
  })

  it('rejects with the app code and writes nothing', async () => {
    const c = localClient()
    await seedBoard(c)
    await c.execute('board.addCard', { id: 'b1', input: { cardId: 'c1', title: 'A', column: 'doing' } })
    await expect(
      c.execute('board.addCard', { id: 'b1', input: { cardId: 'c2', title: 'B', column: 'doing' } }),
    ).rejects.toMatchObject({ name: 'CommandRejected', code: 'WipLimitReached' })
    expect(await c.query('cards.onBoard', 'b1')).toHaveLength(1)
    await c.close()
  })

  it('group-commits concurrent commands, each succeeding or failing on its own', async () => {
    const c = localClient()
    await seedBoard(c)
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        c.execute('board.addCard', {
          id: 'b1',
          input: { cardId: `c${i}`, title: `Card ${i}`, column: i % 2 ? 'todo' : 'doing' },
        }),
      ),
    )
    const ok = results.filter((r) => r.status === 'fulfilled')
    // 10 to todo (no limit) + 1 to doing (WIP 1)
    expect(ok).toHaveLength(11)
    const versions = ok
      .map((r) => (r as PromiseFulfilledResult<{ version: number }>).value.version)
      .sort((a, b) => a - b)
    expect(versions).toEqual(Array.from({ length: 11 }, (_, i) => 5 + i))
    await c.close()
  })
})
