import { describe, expect, it } from 'vitest'
import { Runtime } from '../src/runtime/runtime'
import { workerApi } from '../src/worker'
import { todoDomain } from './fixtures/todo'
import { freshName } from './helpers'

/** `executeMany` (the worker's side of client/command-batches.ts) runs one message's commands in their order. */
describe('executeMany', () => {
  it('runs the commands in the order given, when one has an input schema and the next has none', async () => {
    const runtime = new Runtime(todoDomain, { name: freshName('many-order') })
    const api = workerApi(runtime)
    // `todo.add` has a schema (checked asynchronously), `todo.finish` has none: finish must still see the add.
    const answers = await api.executeMany([
      ['todo.add', { id: 't1', input: { title: 'One' } }],
      ['todo.finish', { id: 't1', input: {} }],
    ])
    expect(answers.map((a) => a.ok)).toEqual([true, true])
    await api.close()
  })

  it('a command that fails its checks does not hold back or fail the others', async () => {
    const runtime = new Runtime(todoDomain, { name: freshName('many-checks') })
    const api = workerApi(runtime)
    const answers = await api.executeMany([
      ['todo.add', { id: 't1', input: { title: 'One' } }],
      ['todo.add', { id: 't2', input: { title: '' } }],
      ['todo.nope', { id: 't3', input: {} }],
      ['todo.add', { id: '', input: { title: 'No id' } }],
      ['todo.finish', { id: 't1', input: {} }],
    ])
    expect(answers.map((a) => (a.ok ? 'ok' : a.error.name))).toEqual([
      'ok',
      'ValidationError',
      'UnknownPathError',
      'ValidationError',
      'ok',
    ])
    await api.close()
  })
})
