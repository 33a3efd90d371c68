/** The README's quick start, verbatim apart from the worker: it must compile and run. */
import { describe, expect, it } from 'vitest'
import { createLocalClient, isCairnError } from '../src'
import { defineAggregate, defineDomain, defineEvents, defineProjection, event, table } from '../src/domain'

const todoEvents = defineEvents({
  TodoAdded: event<{ title: string }>(),
  TodoDone: event<Record<string, never>>(),
})

const todo = defineAggregate({
  name: 'todo',
  events: todoEvents,
  initialState: () => ({ exists: false, done: false }),
  evolve: {
    TodoAdded: (s) => ({ ...s, exists: true }),
    TodoDone: (s) => ({ ...s, done: true }),
  },
  commands: {
    add: (s, input: { title: string }, ctx) => (s.exists ? ctx.reject('AlreadyExists') : ctx.event('TodoAdded', input)),
    finish: (s, _input: Record<string, never>, ctx) => (s.done ? ctx.reject('AlreadyDone') : ctx.event('TodoDone', {})),
  },
})

const todos = defineProjection({
  name: 'todos',
  version: 1,
  from: [todo],
  table: table<{ id: string; title: string; done: 0 | 1 }>({ key: 'id', indexes: ['done'] }),
  on: {
    TodoAdded: (tx, e) => tx.put({ id: e.streamId, title: e.data.title, done: 0 }),
    TodoDone: async (tx, e) => {
      await tx.update(e.streamId, { done: 1 })
    },
  },
  queries: { open: (t) => t.where('done').equals(0).toArray() },
})

const domain = defineDomain({ aggregates: { todo }, projections: { todos } })

describe('README quick start', () => {
  it('runs', async () => {
    const cairn = createLocalClient(domain, { name: `readme-${Math.random()}` })
    await cairn.execute('todo.add', { id: 't1', input: { title: 'Write docs' } })
    const seen: unknown[] = []
    const stop = cairn.subscribe('todos.open', undefined, (rows) => seen.push(rows))
    expect(await cairn.query('todos.open')).toEqual([{ id: 't1', title: 'Write docs', done: 0, space: 'default' }])
    const error = await cairn.execute('todo.add', { id: 't1', input: { title: 'again' } }).catch((e) => e)
    expect(isCairnError(error, 'CommandRejected') && error.code).toBe('AlreadyExists')
    await cairn.execute('todo.finish', { id: 't1', input: {} })
    await expect.poll(() => seen.at(-1)).toEqual([])
    stop()
    await cairn.close()
  })
})
