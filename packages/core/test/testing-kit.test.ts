import { board, cards, columns, kanban } from '@cairn/example-kanban'
import { describe, expect, it } from 'vitest'
import { aggregateSpec, createTestRuntime, projectionSpec } from '../src/testing'

const created = [
  { type: 'BoardCreated' as const, data: { title: 'T' } },
  { type: 'ColumnAdded' as const, data: { column: 'todo', title: 'To do', wipLimit: null } },
  { type: 'ColumnAdded' as const, data: { column: 'doing', title: 'Doing', wipLimit: 1 } },
]

describe('aggregateSpec', () => {
  it('given/when/then with exact events', () => {
    aggregateSpec(board)
      .given(created)
      .when('addCard', { cardId: 'c1', title: 'x', column: 'todo' })
      .then([{ type: 'CardAdded', data: { cardId: 'c1', title: 'x', column: 'todo' } }])
  })

  it('thenRejects with the code', () => {
    aggregateSpec(board)
      .given([...created, { type: 'CardAdded', data: { cardId: 'c1', title: 'x', column: 'doing' } }])
      .when('addCard', { cardId: 'c2', title: 'y', column: 'doing' })
      .thenRejects('WipLimitReached')
  })

  it('fails loudly when expectations do not hold', () => {
    const spec = aggregateSpec(board).given(created).when('addCard', { cardId: 'c1', title: 'x', column: 'todo' })
    expect(() => spec.thenRejects('WipLimitReached')).toThrow(/expected rejection WipLimitReached/)
    expect(() => spec.then([])).toThrow(/produced/)
  })

  it('then with a function sees events and state', () => {
    aggregateSpec(board)
      .given(created)
      .when('addCard', { cardId: 'c1', title: 'x', column: 'todo' })
      .then(({ events, state }) => {
        expect(events).toHaveLength(1)
        expect(state.cardColumn).toEqual({ c1: 'todo' })
      })
  })
})

describe('projectionSpec', () => {
  it('checks rows and idempotency', async () => {
    await projectionSpec(columns)
      .given([
        { stream: 'board:b', type: 'ColumnAdded', data: { column: 'todo', title: 'To do', wipLimit: null } },
        { stream: 'board:b', type: 'CardAdded', data: { cardId: 'c1', title: 'x', column: 'todo' } },
      ])
      .then([{ id: 'b/todo', board: 'b', column: 'todo', title: 'To do', wipLimit: null, cardIds: ['c1'], order: 0 }])
  })

  it('catches a projection that is not idempotent', async () => {
    const { defineProjection, table } = await import('../src/domain')
    const counter = defineProjection({
      name: 'counter',
      version: 1,
      from: [board],
      table: table<{ id: string; n: number }>({ key: 'id' }),
      on: {
        CardAdded: async (tx) => {
          const row = (await tx.get('n')) ?? { id: 'n', n: 0 }
          await tx.put({ id: 'n', n: row.n + 1 })
        },
      },
    })
    await expect(
      projectionSpec(counter)
        .given([{ stream: 'board:b', type: 'CardAdded', data: { cardId: 'c', title: 't', column: 'x' } }])
        .then([{ id: 'n', n: 1 }]),
    ).rejects.toThrow(/not idempotent/)
  })

  it('cards projection handles a move', async () => {
    await projectionSpec(cards)
      .given([
        { stream: 'board:b', type: 'CardAdded', data: { cardId: 'c1', title: 'x', column: 'todo' } },
        { stream: 'board:b', type: 'CardMoved', data: { cardId: 'c1', from: 'todo', to: 'done' } },
      ])
      .then((rows) => expect(rows).toMatchObject([{ id: 'c1', column: 'done' }]))
  })
})

describe('createTestRuntime', () => {
  it('injects the clock and ids', async () => {
    const rt = createTestRuntime(kanban, { start: 1000, idPrefix: 'rt-' })
    const r = await rt.execute('board.create', {
      id: 'b',
      input: { title: 'x', columns: [{ id: 'todo', title: 'To do' }] },
    })
    expect(r.commandId).toBe('rt-1')
    expect(r.events.map((e) => e.id)).toEqual(['rt-2', 'rt-3'])
    rt.clock.advance(500)
    const r2 = await rt.execute('board.addCard', { id: 'b', input: { cardId: 'c', title: 't', column: 'todo' } })
    await rt.whenProcessed(r2.events[0]?.position ?? 0)
    expect((await rt.query('cards.byId', 'c'))?.updatedAt).toBe(1500)
    await rt.close()
  })

  it('default ids are deterministic per runtime (id-<k>-<n>) and never shared by two runtimes', async () => {
    const input = { title: 'x', columns: [{ id: 'todo', title: 'To do' }] }
    const a = createTestRuntime(kanban)
    const b = createTestRuntime(kanban)
    const ra = await a.execute('board.create', { id: 'b', input })
    const rb = await b.execute('board.create', { id: 'b', input })
    const k = Number(/^id-(\d+)-1$/.exec(ra.commandId)?.[1])
    expect(ra.commandId).toBe(`id-${k}-1`)
    expect(ra.events.map((e) => e.id)).toEqual([`id-${k}-2`, `id-${k}-3`])
    expect(rb.commandId).toBe(`id-${k + 1}-1`)
    expect(rb.events.map((e) => e.id)).toEqual([`id-${k + 1}-2`, `id-${k + 1}-3`])
    await a.close()
    await b.close()
  })
})
