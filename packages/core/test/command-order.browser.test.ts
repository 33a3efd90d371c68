import type { Kanban } from '@cairn/example-kanban'
import { describe, expect, it } from 'vitest'
import { createClient } from '../src/client/worker-client'
import { seed, startWorker, uniqueDb } from './browser-helpers'

const uncloneable = (() => 1) as unknown as string

/** Fails after `ms` instead of letting a promise that never settles hang the test. */
function within<T>(ms: number, promise: Promise<T>): Promise<T> {
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`not settled within ${ms} ms`)), ms)),
  ])
}

/** Commands reach the worker in the order the page issued them, batched or not (client/command-batches.ts). */
describe('the order of commands', () => {
  it('a command issued after a batch that had to be sent one by one still runs after that batch', async () => {
    const c = createClient<Kanban>(startWorker(uniqueDb('order-fallback')))
    await seed(c)
    const added = c.execute('board.addCard', { id: 'b1', input: { cardId: 'c1', title: 'One', column: 'todo' } })
    const bad = c.execute('card.describe', { id: 'c1', input: { description: uncloneable } })
    // A later microtask of the same task: its command is sent in a message of its own, after the batch above.
    await Promise.resolve()
    const moved = c.execute('board.moveCard', { id: 'b1', input: { cardId: 'c1', to: 'done' } })
    const outcomes = await Promise.allSettled([added, bad, moved])
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled'])
    const [one, , two] = outcomes.map((o) => (o.status === 'fulfilled' ? o.value.version : -1))
    expect(two).toBe((one ?? 0) + 1)
    await c.close()
  })

  it('a burst over one message with an uncloneable input in its first message keeps its order', async () => {
    const c = createClient<Kanban>(startWorker(uniqueDb('order-slices')))
    await seed(c)
    const burst = [
      c.execute('board.addCard', { id: 'b1', input: { cardId: 'c1', title: 'One', column: 'todo' } }),
      c.execute('card.describe', { id: 'c1', input: { description: uncloneable } }),
      ...Array.from({ length: 254 }, (_, i) =>
        c.execute('card.describe', { id: `x${i}`, input: { description: `d${i}` } }),
      ),
      // The 257th command: the second message.
      c.execute('board.moveCard', { id: 'b1', input: { cardId: 'c1', to: 'done' } }),
    ]
    const outcomes = await Promise.allSettled(burst)
    expect(outcomes[1]?.status).toBe('rejected')
    expect(outcomes.at(-1)).toMatchObject({ status: 'fulfilled' })
    await c.close()
  })

  it('a command issued just before close() is run, as when each command went alone', async () => {
    const db = uniqueDb('order-close')
    const c = createClient<Kanban>(startWorker(db))
    await seed(c)
    const added = c.execute('board.addCard', { id: 'b1', input: { cardId: 'c1', title: 'One', column: 'todo' } })
    await c.close()
    await expect(within(2000, added)).resolves.toMatchObject({ duplicate: false })
    const again = createClient<Kanban>(startWorker(db))
    expect((await again.query('cards.byId', 'c1'))?.title).toBe('One')
    await again.close()
  })

  it('a command issued while close() runs is refused at once, not left unanswered', async () => {
    const c = createClient<Kanban>(startWorker(uniqueDb('order-closing')))
    await seed(c)
    const closing = c.close()
    const late = c.execute('board.addCard', { id: 'b1', input: { cardId: 'c1', title: 'One', column: 'todo' } })
    await expect(within(2000, late)).rejects.toMatchObject({ name: 'ClosedError' })
    await closing
  })
})
