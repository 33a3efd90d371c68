import type { CardRow, Kanban } from '@cairn/example-kanban'
import { describe, expect, it } from 'vitest'
import { createClient } from '../src/client/worker-client'
import type { RuntimeStatus } from '../src/runtime/status'
import { seed, startWorker, uniqueDb, waitFor } from './browser-helpers'

/** Worker → page pushes travel on one port per client (client/pushes.ts); these pin what the page relies on. */
describe('pushes from the worker to the page', () => {
  it('keeps two clients of one worker apart: each hears its own subscriptions, and stopping one spares the other', async () => {
    const worker = startWorker(uniqueDb('pushes-two'))
    const a = createClient<Kanban>(worker)
    const b = createClient<Kanban>(worker)
    await seed(a)
    const seenA: CardRow[][] = []
    const seenB: CardRow[][] = []
    const where = { board: 'b1', column: 'todo' }
    const stopA = a.subscribe('cards.byColumn', where, (rows) => seenA.push(rows))
    b.subscribe('cards.byColumn', where, (rows) => seenB.push(rows))
    await waitFor(() => seenA.length === 1 && seenB.length === 1)
    await a.execute('board.addCard', { id: 'b1', input: { cardId: 'c1', title: 'One', column: 'todo' } })
    await waitFor(() => seenA.length === 2 && seenB.length === 2)
    stopA()
    await b.execute('board.addCard', { id: 'b1', input: { cardId: 'c2', title: 'Two', column: 'todo' } })
    await waitFor(() => seenB.length === 3)
    expect(seenB[2]?.map((r) => r.title)).toEqual(['One', 'Two'])
    // Give a stray push to the stopped listener time to arrive: none may.
    await b.query('cards.byId', 'c2')
    expect(seenA).toHaveLength(2)
    await a.close()
  })

  it('a subscription stopped before the worker answered it never calls its listener', async () => {
    const c = createClient<Kanban>(startWorker(uniqueDb('pushes-early-stop')))
    await seed(c)
    const seen: unknown[] = []
    const stop = c.subscribe('cards.byColumn', { board: 'b1', column: 'todo' }, (rows) => seen.push(rows))
    stop()
    await c.execute('board.addCard', { id: 'b1', input: { cardId: 'c1', title: 'One', column: 'todo' } })
    await c.query('cards.byId', 'c1')
    expect(seen).toEqual([])
    await c.close()
  })

  it('a status listener hears where a commit left the status, once per commit at most', async () => {
    const c = createClient<Kanban>(startWorker(uniqueDb('pushes-status')))
    await seed(c)
    const seen: RuntimeStatus[] = []
    c.subscribeStatus((s) => seen.push(s))
    await waitFor(() => seen.at(-1)?.ready === true)
    const before = seen.length
    const position = seen.at(-1)?.position ?? 0
    await c.execute('board.addCard', { id: 'b1', input: { cardId: 'c1', title: 'One', column: 'todo' } })
    await waitFor(() => (seen.at(-1)?.position ?? 0) > position)
    // A commit moves `pending` and `position` one after the other; the page gets one status with both.
    const after = seen.slice(before)
    expect(after).toHaveLength(1)
    expect(after[0]).toMatchObject({ position: position + 1, pending: (seen[before - 1]?.pending ?? 0) + 1 })
    await c.close()
  })
})
