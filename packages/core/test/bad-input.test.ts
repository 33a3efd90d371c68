import { afterEach, describe, expect, it } from 'vitest'
import type { LocalClient } from '../src/client/local-client'
import { todoDomain } from './fixtures/todo'
import { localClient } from './helpers'

type Todo = typeof todoDomain

/** Counts what is stored, to prove that a failure wrote nothing. */
async function stored(c: LocalClient<Todo>) {
  const db = c.runtime.database
  const checkpoints = await db.table('checkpoints').toArray()
  return {
    events: await db.table('events').count(),
    commands: await db.table('commands').count(),
    rows: await c.find('todos'),
    checkpoints: checkpoints.map((cp) => `${cp.projection}@${cp.position}`).sort(),
  }
}

let client: LocalClient<Todo>
afterEach(async () => {
  await client?.close()
})

async function setup() {
  client = localClient(todoDomain)
  const first = await client.execute('todo.add', { id: 't1', input: { title: 'first' } })
  await client.whenProcessed(first.events[0]?.position ?? 0)
  return { c: client, before: await stored(client) }
}

describe('bad input gets a clear error and nothing is written', () => {
  it('unknown command path', async () => {
    const { c, before } = await setup()
    // @ts-expect-error unknown path
    const err = await c.execute('todo.fly', { id: 't1', input: {} }).catch((e) => e)
    expect(err).toMatchObject({ name: 'UnknownPathError', code: 'UNKNOWN_PATH' })
    expect(err.message).toContain('todo.add')
    expect(await stored(c)).toEqual(before)
  })

  it('unknown query path', async () => {
    const { c } = await setup()
    // @ts-expect-error unknown path
    await expect(c.query('todos.nope')).rejects.toMatchObject({ name: 'UnknownPathError' })
    // @ts-expect-error unknown projection
    await expect(c.query('nothing.at.all')).rejects.toMatchObject({ code: 'UNKNOWN_PATH' })
  })

  it('input failing its schema: ValidationError listing the issues', async () => {
    const { c, before } = await setup()
    const err = await c.execute('todo.add', { id: 't2', input: { title: '' } }).catch((e) => e)
    expect(err).toMatchObject({ name: 'ValidationError', code: 'VALIDATION' })
    expect(err.details.issues).toEqual([expect.objectContaining({ message: 'title is required', path: ['title'] })])
    expect(await stored(c)).toEqual(before)
  })

  it('a request without an id', async () => {
    const { c, before } = await setup()
    await expect(c.execute('todo.add', { input: { title: 'x' } } as never)).rejects.toMatchObject({
      name: 'ValidationError',
    })
    await expect(c.execute('todo.add', null as never)).rejects.toMatchObject({ name: 'ValidationError' })
    expect(await stored(c)).toEqual(before)
  })

  it('event data failing the event schema', async () => {
    const { c, before } = await setup()
    const err = await c.execute('todo.rawAdd', { id: 't9', input: { title: 42 } }).catch((e) => e)
    expect(err).toMatchObject({ name: 'ValidationError' })
    expect(await stored(c)).toEqual(before)
  })

  it('a command that rejects: CommandRejected with the app code', async () => {
    const { c, before } = await setup()
    await expect(c.execute('todo.add', { id: 't1', input: { title: 'again' } })).rejects.toMatchObject({
      name: 'CommandRejected',
      code: 'AlreadyExists',
    })
    await expect(c.execute('todo.finish', { id: 'zzz', input: {} })).rejects.toMatchObject({
      code: 'NotFound',
      message: 'No such todo',
    })
    expect(await stored(c)).toEqual(before)
  })

  it('decide throws: HandlerError, nothing written', async () => {
    const { c, before } = await setup()
    const err = await c.execute('todo.explode', { id: 't1', input: {} }).catch((e) => e)
    expect(err).toMatchObject({ name: 'HandlerError', code: 'HANDLER_FAILED' })
    expect(err.message).toContain('boom in decide')
    expect(await stored(c)).toEqual(before)
  })

  it('a projection handler throws: the whole transaction aborts (no event, no row, no checkpoint)', async () => {
    const { c, before } = await setup()
    const err = await c.execute('todo.add', { id: 't2', input: { title: 'poison' } }).catch((e) => e)
    expect(err).toMatchObject({ name: 'HandlerError' })
    expect(err.message).toContain('projection refuses poison')
    expect(await stored(c)).toEqual(before)
  })

  it('a failing command in a group commit does not take the others down', async () => {
    const { c } = await setup()
    const outcomes = await Promise.allSettled([
      c.execute('todo.add', { id: 'a', input: { title: 'ok a' } }),
      c.execute('todo.add', { id: 'b', input: { title: 'poison' } }),
      c.execute('todo.add', { id: 'c', input: { title: 'ok c' } }),
      c.execute('todo.explode', { id: 'd', input: {} }),
      c.execute('todo.add', { id: 'e', input: { title: 'ok e' } }),
    ])
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected', 'fulfilled'])
    const titles = (await c.find('todos')).map((r) => r.title).sort()
    expect(titles).toEqual(['first', 'ok a', 'ok c', 'ok e'])
  })

  it('expected-version mismatch: ConcurrencyError with expected and actual', async () => {
    const { c, before } = await setup()
    await expect(c.execute('todo.finish', { id: 't1', input: {}, expectedVersion: 3 })).rejects.toMatchObject({
      name: 'ConcurrencyError',
      details: { stream: 'todo:t1', expected: 3, actual: 1 },
    })
    await expect(c.execute('todo.finish', { id: 't1', input: {}, expectedVersion: 'no_stream' })).rejects.toMatchObject(
      {
        name: 'ConcurrencyError',
      },
    )
    await expect(c.execute('todo.finish', { id: 'new', input: {}, expectedVersion: 'exists' })).rejects.toMatchObject({
      name: 'ConcurrencyError',
      details: { actual: 0 },
    })
    await expect(c.execute('todo.finish', { id: 't1', input: {}, expectedVersion: -1 })).rejects.toMatchObject({
      name: 'ValidationError',
    })
    expect(await stored(c)).toEqual(before)
    // and the matching expectations pass
    await c.execute('todo.add', { id: 'n', input: { title: 'n' }, expectedVersion: 'no_stream' })
    await c.execute('todo.finish', { id: 'n', input: {}, expectedVersion: 1 })
    await expect(
      c.execute('todo.add', { id: 'n', input: { title: 'x' }, expectedVersion: 'exists' }),
    ).rejects.toMatchObject({
      code: 'AlreadyExists',
    })
  })

  it('data that cannot be stored: StorageError NOT_CLONEABLE', async () => {
    const { c, before } = await setup()
    const err = await c.execute('todo.store', { id: 't1', input: { payload: () => 1 } }).catch((e) => e)
    expect(err).toMatchObject({ name: 'StorageError', code: 'NOT_CLONEABLE' })
    expect(await stored(c)).toEqual(before)
  })

  it('storage quota exceeded: StorageError QUOTA', async () => {
    const { c, before } = await setup()
    const proto = Object.getPrototypeOf(c.runtime.database.backendDB().transaction('events').objectStore('events'))
    const original = proto.add
    proto.add = function (this: IDBObjectStore, ...args: unknown[]) {
      if (this.name === 'events') throw new DOMException('The quota has been exceeded.', 'QuotaExceededError')
      return original.apply(this, args)
    }
    try {
      const err = await c.execute('todo.add', { id: 'big', input: { title: 'big' } }).catch((e) => e)
      expect(err).toMatchObject({ name: 'StorageError', code: 'QUOTA' })
    } finally {
      proto.add = original
    }
    expect(await stored(c)).toEqual(before)
  })

  it('find on a field that is not indexed', async () => {
    const { c } = await setup()
    await expect(c.find('todos', { where: { nope: 1 } as never })).rejects.toMatchObject({ name: 'ValidationError' })
  })
})
