import { describe, expect, it } from 'vitest'
import { createLocalClient } from '../src/client/local-client'
import {
  type ConflictPolicy,
  defineAggregate,
  defineDomain,
  defineEvents,
  defineProjection,
  event,
  table,
} from '../src/domain'
import { MemorySyncServer } from '../src/testing/memory-sync-server'
import { freshName } from './helpers'

function counterDomain(conflict: ConflictPolicy) {
  const counter = defineAggregate({
    name: 'counter',
    events: defineEvents({ Added: event<{ by: number }>() }),
    initialState: () => ({ total: 0 }),
    evolve: { Added: (s, e) => ({ total: s.total + e.data.by }) },
    commands: { add: (_s, input: { by: number }, ctx) => ctx.event('Added', input) },
    conflict,
  })
  const totals = defineProjection({
    name: 'totals',
    version: 1,
    from: [counter],
    table: table<{ id: string; total: number; adds: string[] }>({ key: 'id' }),
    on: {
      Added: async (tx, e) => {
        const row = (await tx.get(e.streamId)) ?? { id: e.streamId, total: 0, adds: [] }
        if (!row.adds.includes(e.id))
          await tx.put({ id: e.streamId, total: row.total + e.data.by, adds: [...row.adds, e.id] })
      },
    },
    queries: { of: (t, id: string) => t.get(id) },
  })
  return defineDomain({ aggregates: { counter }, projections: { totals } })
}

async function race(conflict: ConflictPolicy) {
  const domain = counterDomain(conflict)
  const server = new MemorySyncServer()
  const make = () =>
    createLocalClient(domain, { name: freshName('policy'), sync: { transport: server.transport(), autoStart: false } })
  const a = make()
  const b = make()
  await a.execute('counter.add', { id: 'x', input: { by: 1 } })
  await a.syncNow()
  await b.syncNow()
  await a.execute('counter.add', { id: 'x', input: { by: 10 } })
  await b.execute('counter.add', { id: 'x', input: { by: 100 } })
  await a.syncNow()
  await b.syncNow()
  await a.syncNow()
  const totals = [(await a.query('totals.of', 'x'))?.total, (await b.query('totals.of', 'x'))?.total]
  const rejected = b.runtime.status.get().rejected
  await a.close()
  await b.close()
  return { totals, rejected }
}

describe('conflict policy per aggregate', () => {
  it("'rebase' (default) re-runs the command on the new state: both stand", async () => {
    const { totals, rejected } = await race('rebase')
    expect(totals).toEqual([111, 111])
    expect(rejected).toEqual([])
  })

  it("'reject' rejects a pending command whose stream changed elsewhere", async () => {
    const { totals, rejected } = await race('reject')
    expect(totals).toEqual([11, 11])
    expect(rejected).toEqual([expect.objectContaining({ code: 'CONFLICT', path: 'counter.add' })])
  })

  it('a resolver function decides per conflict, seeing the other side', async () => {
    const seen: number[] = []
    const { totals } = await race(({ theirs, input }) => {
      seen.push(theirs.length)
      return (input as { by: number }).by >= 100 ? 'rebase' : 'reject'
    })
    expect(seen).toEqual([1])
    expect(totals).toEqual([111, 111])
  })
})
