import type { CommandResult } from '@cairn/core'
import type { CardRow, ColumnRow } from '@cairn/example-kanban'
import {
  type CommandError,
  type QueryError,
  type RegisteredCommandPath,
  type RegisteredQueryPath,
  type SyncStatus,
  useCairn,
  useCommand,
  useQuery,
  useSuspenseQuery,
  useSyncStatus,
} from '@cairn/react'
import { describe, expectTypeOf, it } from 'vitest'
import './register'

describe('with the kanban domain registered', () => {
  it('query paths, arguments and results come from the domain', () => {
    expectTypeOf<RegisteredQueryPath>().toEqualTypeOf<
      'cards.byColumn' | 'cards.onBoard' | 'cards.byId' | 'cards.acrossBoards' | 'columns.onBoard'
    >()
    expectTypeOf(useQuery('cards.byColumn', { board: 'b', column: 'c' }).data).toEqualTypeOf<CardRow[] | undefined>()
    expectTypeOf(useQuery('columns.onBoard', 'b').data).toEqualTypeOf<ColumnRow[] | undefined>()
    expectTypeOf(useQuery('cards.byId', 'c').error).toEqualTypeOf<QueryError | null>()
    expectTypeOf(useSuspenseQuery('cards.byId', 'c').data).toEqualTypeOf<CardRow | undefined>()
  })

  it('select narrows data', () => {
    const count = useQuery('cards.onBoard', 'b', { select: (cards) => cards.length })
    expectTypeOf(count.data).toEqualTypeOf<number | undefined>()
    expectTypeOf(
      useSuspenseQuery('cards.onBoard', 'b', { select: (cards) => cards.length }).data,
    ).toEqualTypeOf<number>()
  })

  it('bad query paths and arguments do not compile', () => {
    // @ts-expect-error unknown path
    useQuery('cards.nope', 'x')
    // @ts-expect-error wrong argument
    useQuery('cards.byColumn', 'b1')
    // @ts-expect-error missing field in the argument
    useQuery('cards.byColumn', { board: 'b1' })
    // @ts-expect-error enabled is not a suspense option
    useSuspenseQuery('cards.byId', 'c', { enabled: false })
  })

  it('commands take the typed request and fail with typed codes', () => {
    expectTypeOf<RegisteredCommandPath>().toEqualTypeOf<
      | 'board.create'
      | 'board.setWipLimit'
      | 'board.addCard'
      | 'board.moveCard'
      | 'board.archiveCard'
      | 'card.rename'
      | 'card.describe'
    >()
    const move = useCommand('board.moveCard')
    move.mutate({ id: 'b1', input: { cardId: 'c1', to: 'done' } })
    move.mutate({ id: 'b1', input: { cardId: 'c1', to: 'done' }, expectedVersion: 3, commandId: 'k' })
    expectTypeOf(move.data).toEqualTypeOf<CommandResult | undefined>()
    expectTypeOf(move.error).toEqualTypeOf<CommandError<'board.moveCard'> | null>()
    const error = move.error
    if (error?.name === 'CommandRejected') {
      expectTypeOf(error.code).toEqualTypeOf<'NoSuchCard' | 'NoSuchColumn' | 'WipLimitReached'>()
    }
    // @ts-expect-error wrong input
    move.mutate({ id: 'b1', input: { cardId: 1, to: 'done' } })
    // @ts-expect-error the request needs an id
    move.mutate({ input: { cardId: 'c1', to: 'done' } })
    // @ts-expect-error unknown command path
    useCommand('board.fly')
    useCommand('card.rename', {
      onError: (e) => {
        if (e.name === 'CommandRejected') expectTypeOf(e.code).toEqualTypeOf<'EmptyTitle'>()
      },
    })
  })

  it('useCairn and useSyncStatus', () => {
    expectTypeOf(useCairn().query('cards.byId', 'c')).resolves.toEqualTypeOf<CardRow | undefined>()
    expectTypeOf(useSyncStatus()).toEqualTypeOf<SyncStatus>()
    expectTypeOf(useSyncStatus((s) => s.pending)).toEqualTypeOf<number>()
    expectTypeOf(useSyncStatus((s) => s.online)).toEqualTypeOf<boolean>()
  })
})
