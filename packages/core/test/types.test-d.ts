import type { CardRow, ColumnRow, Kanban } from '@cairn/example-kanban'
import { describe, expectTypeOf, it } from 'vitest'
import type { CairnClient } from '../src/client/types'
import type { CommandInput, CommandPath, CommandRejectionCode, QueryPath, QueryResult } from '../src/domain'

declare const client: CairnClient<Kanban>

describe('paths, inputs and results are typed from the domain', () => {
  it('command paths', () => {
    expectTypeOf<CommandPath<Kanban>>().toEqualTypeOf<
      | 'board.create'
      | 'board.setWipLimit'
      | 'board.addCard'
      | 'board.moveCard'
      | 'board.archiveCard'
      | 'card.rename'
      | 'card.describe'
    >()
    expectTypeOf<CommandInput<Kanban, 'board.moveCard'>>().toEqualTypeOf<{ cardId: string; to: string }>()
    expectTypeOf<CommandRejectionCode<Kanban, 'board.moveCard'>>().toEqualTypeOf<
      'NoSuchCard' | 'NoSuchColumn' | 'WipLimitReached'
    >()
  })

  it('query paths and results', () => {
    expectTypeOf<QueryPath<Kanban>>().toEqualTypeOf<
      'cards.byColumn' | 'cards.onBoard' | 'cards.byId' | 'cards.acrossBoards' | 'columns.onBoard'
    >()
    expectTypeOf<QueryResult<Kanban, 'cards.byColumn'>>().toEqualTypeOf<CardRow[]>()
    expectTypeOf(client.query('columns.onBoard', 'b1')).resolves.toEqualTypeOf<ColumnRow[]>()
    expectTypeOf(client.query('cards.byId', 'x')).resolves.toEqualTypeOf<CardRow | undefined>()
  })

  it('wrong input or unknown paths fail to compile', () => {
    // @ts-expect-error unknown command path
    void client.execute('board.fly', { id: 'b', input: {} })
    // @ts-expect-error wrong input type
    void client.execute('board.moveCard', { id: 'b', input: { cardId: 1, to: 'x' } })
    // @ts-expect-error missing input field
    void client.execute('board.moveCard', { id: 'b', input: { cardId: 'c' } })
    // @ts-expect-error unknown query path
    void client.query('cards.nope', 'x')
    // @ts-expect-error wrong query argument
    void client.query('cards.byColumn', 'todo')
    // @ts-expect-error missing query argument
    void client.query('columns.onBoard')
    client.subscribe('cards.byColumn', { board: 'b', column: 'c' }, (rows) => {
      expectTypeOf(rows).toEqualTypeOf<CardRow[]>()
    })
    void client.find('cards', { where: { column: 'todo' } })
    // @ts-expect-error unknown field in find
    void client.find('cards', { where: { colour: 'red' } })
  })
})
