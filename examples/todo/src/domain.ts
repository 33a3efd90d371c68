/**
 * The app's domain, defined once: events, the `todo` aggregate with its commands, and the `todos` projection
 * the UI reads. Pure — no Dexie, no browser APIs — so it runs in the worker, in Node (tests) and on the server.
 */
import { defineAggregate, defineDomain, defineEvents, defineProjection, event, table } from '@cairn/core'

export const todoEvents = defineEvents({
  TodoAdded: event<{ title: string }>(),
  TodoToggled: event<{ done: boolean }>(),
  TodoRemoved: event<Record<string, never>>(),
})

export interface TodoState {
  status: 'none' | 'open' | 'done' | 'removed'
}

export const todo = defineAggregate({
  name: 'todo',
  events: todoEvents,
  initialState: (): TodoState => ({ status: 'none' }),
  evolve: {
    TodoAdded: (): TodoState => ({ status: 'open' }),
    TodoToggled: (_s, e): TodoState => ({ status: e.data.done ? 'done' : 'open' }),
    TodoRemoved: (): TodoState => ({ status: 'removed' }),
  },
  commands: {
    add: (s, input: { title: string }, ctx) => {
      if (s.status !== 'none') return ctx.reject('AlreadyExists')
      const title = input.title.trim()
      return title ? ctx.event('TodoAdded', { title }) : ctx.reject('EmptyTitle')
    },
    toggle: (s, _input: Record<string, never>, ctx) =>
      s.status === 'open' || s.status === 'done'
        ? ctx.event('TodoToggled', { done: s.status === 'open' })
        : ctx.reject('NotFound'),
    remove: (s, _input: Record<string, never>, ctx) =>
      s.status === 'open' || s.status === 'done' ? ctx.event('TodoRemoved', {}) : ctx.reject('NotFound'),
  },
  // Two devices toggling the same todo offline: re-run the later command on the merged state.
  conflict: 'rebase',
})

export interface TodoRow {
  id: string
  title: string
  done: 0 | 1
  addedAt: number
}

export const todos = defineProjection({
  name: 'todos',
  version: 1,
  from: [todo],
  table: table<TodoRow>({ key: 'id', indexes: ['done', 'addedAt'] }),
  on: {
    TodoAdded: (tx, e) => tx.put({ id: e.streamId, title: e.data.title, done: 0, addedAt: e.meta.issuedAt }),
    TodoToggled: async (tx, e) => {
      await tx.update(e.streamId, { done: e.data.done ? 1 : 0 })
    },
    TodoRemoved: (tx, e) => tx.delete(e.streamId),
  },
  queries: {
    all: (t) => t.orderBy('addedAt').toArray(),
    openCount: (t) => t.where('done').equals(0).count(),
  },
})

export const domain = defineDomain({ aggregates: { todo }, projections: { todos } })
export type TodoDomain = typeof domain
