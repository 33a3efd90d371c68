import { describe, expect, it } from 'vitest'
import { localClientFor } from '../src/client/local-client'
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

/** The in-process client calls `Runtime.execute` directly: commands issued together keep their order there too. */
describe('execute', () => {
  it('hands commands to the executor in the order they were called, schema or not', async () => {
    const runtime = new Runtime(todoDomain, { name: freshName('execute-order') })
    const client = localClientFor<typeof todoDomain>(runtime)
    const [added, finished] = await Promise.allSettled([
      client.execute('todo.add', { id: 't1', input: { title: 'One' } }),
      client.execute('todo.finish', { id: 't1', input: {} }),
    ])
    expect(added.status).toBe('fulfilled')
    expect(finished).toMatchObject({ status: 'fulfilled', value: { version: 2 } })
    await client.close()
  })

  it('a command that fails its checks holds back nothing issued after it', async () => {
    const runtime = new Runtime(todoDomain, { name: freshName('execute-checks') })
    const outcomes = await Promise.allSettled([
      runtime.execute('todo.add', { id: '', input: { title: 'No id' } }),
      runtime.execute('todo.add', { id: 't1', input: { title: '' } }),
      runtime.execute('todo.add', { id: 't2', input: { title: 'Two' } }),
    ])
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'fulfilled'])
    await runtime.close()
  })
})
