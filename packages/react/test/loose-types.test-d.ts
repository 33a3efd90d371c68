import type { AnyDomain, CairnClient } from '@cairn/core'
import type { Kanban } from '@cairn/example-kanban'
import type {
  CommandError,
  CommandInputAt,
  QueryArgAt,
  QueryResultAt,
  RegisteredClient,
  RegisteredCommandPath,
  RegisteredDomain,
  RegisteredQueryPath,
  RejectionCodeAt,
} from '@cairn/react'
import { describe, expectTypeOf, it } from 'vitest'

/** What the hooks see without a `Register` entry (`{}`) and with one. */
type Unregistered = object
type Registered = { domain: Kanban }

describe('without registration, paths are loose', () => {
  it('accepts any path, with unknown inputs and results', () => {
    expectTypeOf<RegisteredDomain<Unregistered>>().toEqualTypeOf<AnyDomain>()
    expectTypeOf<RegisteredQueryPath<Unregistered>>().toEqualTypeOf<string>()
    expectTypeOf<RegisteredCommandPath<Unregistered>>().toEqualTypeOf<string>()
    expectTypeOf<QueryArgAt<'x.y', Unregistered>>().toEqualTypeOf<unknown>()
    expectTypeOf<QueryResultAt<'x.y', Unregistered>>().toEqualTypeOf<unknown>()
    expectTypeOf<CommandInputAt<'x.y', Unregistered>>().toEqualTypeOf<unknown>()
    expectTypeOf<RejectionCodeAt<'x.y', Unregistered>>().toEqualTypeOf<string>()
    expectTypeOf<CommandError<'x.y', Unregistered>['code']>().toEqualTypeOf<string>()
  })

  it('the provider takes a client of any domain', () => {
    expectTypeOf<CairnClient<Kanban>>().toExtend<RegisteredClient<Unregistered>>()
    expectTypeOf<RegisteredClient<Registered>>().toEqualTypeOf<CairnClient<Kanban>>()
  })

  it('is strict with registration', () => {
    expectTypeOf<RegisteredDomain<Registered>>().toEqualTypeOf<Kanban>()
    expectTypeOf<CommandInputAt<'card.rename', Registered>>().toEqualTypeOf<{ title: string }>()
    expectTypeOf<RejectionCodeAt<'card.rename', Registered>>().toEqualTypeOf<'EmptyTitle'>()
    expectTypeOf<QueryArgAt<'cards.byId', Registered>>().toEqualTypeOf<string>()
  })
})
