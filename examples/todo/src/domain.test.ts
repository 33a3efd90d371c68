import { aggregateSpec, createTestRuntime, projectionSpec } from '@cairn/core/testing'
import { describe, expect, it } from 'vitest'
import { domain, todo, todos } from './domain'

describe('todo', () => {
  it('adds a todo with a trimmed title', () => {
    aggregateSpec(todo)
      .given([])
      .when('add', { title: '  Buy milk ' })
      .then([{ type: 'TodoAdded', data: { title: 'Buy milk' } }])
  })

  it('refuses an empty title and a second add', () => {
    aggregateSpec(todo).given([]).when('add', { title: '  ' }).thenRejects('EmptyTitle')
    aggregateSpec(todo)
      .given([{ type: 'TodoAdded', data: { title: 'x' } }])
      .when('add', { title: 'y' })
      .thenRejects('AlreadyExists')
  })

  it('toggles back and forth, and cannot toggle a removed todo', () => {
    aggregateSpec(todo)
      .given([
        { type: 'TodoAdded', data: { title: 'x' } },
        { type: 'TodoToggled', data: { done: true } },
      ])
      .when('toggle', {})
      .then([{ type: 'TodoToggled', data: { done: false } }])
    aggregateSpec(todo)
      .given([
        { type: 'TodoAdded', data: { title: 'x' } },
        { type: 'TodoRemoved', data: {} },
      ])
      .when('toggle', {})
      .thenRejects('NotFound')
  })
})

describe('todos projection', () => {
  it('lists todos in the order they were added, and counts the open ones', async () => {
    const cairn = createTestRuntime(domain)
    await cairn.execute('todo.add', { id: 'a', input: { title: 'first' } })
    cairn.clock.advance(1000)
    await cairn.execute('todo.add', { id: 'b', input: { title: 'second' } })
    await cairn.execute('todo.toggle', { id: 'a', input: {} })
    expect((await cairn.query('todos.all')).map((t) => [t.title, t.done])).toEqual([
      ['first', 1],
      ['second', 0],
    ])
    expect(await cairn.query('todos.openCount')).toBe(1)
    await cairn.close()
  })

  it('keeps toggles and drops removed todos, idempotently (each event applied twice changes nothing)', async () => {
    await projectionSpec(todos)
      .given([
        { stream: 'todo:a', type: 'TodoAdded', data: { title: 'x' } },
        { stream: 'todo:a', type: 'TodoToggled', data: { done: true } },
        { stream: 'todo:b', type: 'TodoAdded', data: { title: 'y' } },
        { stream: 'todo:b', type: 'TodoRemoved', data: {} },
      ])
      .then([{ id: 'a', title: 'x', done: 1, addedAt: 1 }])
  })
})
