import type { Kanban } from '@cairn/example-kanban'
import { describe, expect, it } from 'vitest'
import { createClient } from '../src/client/worker-client'
import { seed, startWorker, uniqueDb } from './browser-helpers'

/** Commands issued in one task travel in one message (client/command-batches.ts); each keeps its own outcome. */
describe('commands issued together', () => {
  it('each gets its own result or error, in order, and the log holds exactly the accepted ones', async () => {
    const c = createClient<Kanban>(startWorker(uniqueDb('batches-outcomes')))
    await seed(c)
    const outcomes = await Promise.allSettled([
      c.execute('board.addCard', { id: 'b1', input: { cardId: 'c1', title: 'One', column: 'todo' } }),
      c.execute('board.moveCard', { id: 'b1', input: { cardId: 'nope', to: 'done' } }),
      c.execute('board.addCard', { id: 'b1', input: { cardId: 'c2', title: 'Two', column: 'todo' } }),
      // @ts-expect-error unknown path
      c.execute('board.fly', { id: 'b1', input: {} }),
      c.execute('board.addCard', { id: 'b1', input: { cardId: 'c3', title: 'Three', column: 'todo' } }),
    ])
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected', 'fulfilled'])
    expect(outcomes[1]).toMatchObject({ reason: { name: 'CommandRejected', code: 'NoSuchCard' } })
    expect(outcomes[3]).toMatchObject({ reason: { code: 'UNKNOWN_PATH' } })
    const versions = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value.version] : []))
    expect(versions).toEqual([...versions].sort((a, b) => a - b))
    const titles = (await c.find('cards', { where: { board: 'b1' } })).map((r) => r.title).sort()
    expect(titles).toEqual(['One', 'Three', 'Two'])
    await c.close()
  })

  it('an input that cannot be sent fails only its own command', async () => {
    const c = createClient<Kanban>(startWorker(uniqueDb('batches-uncloneable')))
    await seed(c)
    await c.execute('board.addCard', { id: 'b1', input: { cardId: 'c1', title: 'One', column: 'todo' } })
    const outcomes = await Promise.allSettled([
      c.execute('card.describe', { id: 'c1', input: { description: 'fine' } }),
      c.execute('card.describe', { id: 'c1', input: { description: (() => 1) as unknown as string } }),
      c.execute('board.addCard', { id: 'b1', input: { cardId: 'c2', title: 'Two', column: 'todo' } }),
    ])
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled'])
    expect(outcomes[1]).toMatchObject({ reason: { name: 'StorageError', code: 'NOT_CLONEABLE' } })
    expect((await c.query('cards.byId', 'c2'))?.title).toBe('Two')
    await c.close()
  })

  it('a burst larger than one message: every command answered, none lost or doubled', async () => {
    const c = createClient<Kanban>(startWorker(uniqueDb('batches-burst')))
    await seed(c)
    const n = 700
    const results = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        c.execute('card.describe', { id: `x${i}`, input: { description: `d${i}` } }).catch((e: unknown) => e),
      ),
    )
    expect(results).toHaveLength(n)
    const ids = new Set(results.map((r) => (r as { commandId?: string }).commandId))
    expect(ids.size).toBe(n)
    await c.close()
  })

  it('a command issued after close is refused with ClosedError', async () => {
    const c = createClient<Kanban>(startWorker(uniqueDb('batches-closed')))
    await seed(c)
    await c.close()
    await expect(
      c.execute('board.addCard', { id: 'b1', input: { cardId: 'c1', title: 'One', column: 'todo' } }),
    ).rejects.toMatchObject({ name: 'ClosedError' })
  })
})

describe('a closed client', () => {
  it('refuses subscriptions and calls with ClosedError, as the in-process client does', async () => {
    const c = createClient<Kanban>(startWorker(uniqueDb('closed-calls')))
    await seed(c)
    await c.close()
    expect(() => c.subscribe('cards.byColumn', { board: 'b1', column: 'todo' }, () => {})).toThrow(
      expect.objectContaining({ name: 'ClosedError' }),
    )
    expect(() => c.subscribeStatus(() => {})).toThrow(expect.objectContaining({ name: 'ClosedError' }))
    expect(() => c.onRejected(() => {})).toThrow(expect.objectContaining({ name: 'ClosedError' }))
    await expect(c.whenProcessed(1)).rejects.toMatchObject({ name: 'ClosedError' })
    await expect(c.pauseSync()).rejects.toMatchObject({ name: 'ClosedError' })
  })
})
