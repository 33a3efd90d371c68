import { describe, expect, it } from 'vitest'
import { createLocalClient } from '../src/client/local-client'
import { defineAggregate, defineDomain, defineEvents, event } from '../src/domain'
import { freshName } from './helpers'

function counterDomain(snapshot?: { every: number; version: number }) {
  const counter = defineAggregate({
    name: 'counter',
    events: defineEvents({ Added: event<{ by: number }>() }),
    initialState: () => ({ total: 0 }),
    evolve: { Added: (s, e) => ({ total: s.total + e.data.by }) },
    commands: {
      add: (_s, input: { by: number }, ctx) => ctx.event('Added', input),
      /** Rejects with the total it saw, so tests can observe the loaded state. */
      report: (s, _input: Record<string, never>, ctx) => ctx.reject('Total', String(s.total)),
    },
    ...(snapshot ? { snapshot } : {}),
  })
  return defineDomain({ aggregates: { counter } })
}

async function totalSeen(client: { execute(path: never, request: never): Promise<unknown> }): Promise<string> {
  const error = await client.execute('counter.report' as never, { id: 'c', input: {} } as never).catch((e) => e)
  return (error as Error).message
}

describe('snapshots', () => {
  it('given 25 events with every: 10, when loading, then the state comes from the snapshot at 20 plus the tail', async () => {
    const name = freshName('snap')
    const first = createLocalClient(counterDomain({ every: 10, version: 1 }), { name })
    for (let i = 0; i < 25; i++) await first.execute('counter.add', { id: 'c', input: { by: 1 } })
    const snapshots = await first.runtime.database.table('snapshots').toArray()
    expect(snapshots).toEqual([
      expect.objectContaining({ stream: 'counter:c', version: 20, snapshotVersion: 1, state: { total: 20 } }),
    ])
    // Tamper with the snapshot: a fresh runtime (empty cache) that loads from it sees the tampered total.
    await first.runtime.database.table('snapshots').update('counter:c', { state: { total: 1000 } })
    await first.close()
    const second = createLocalClient(counterDomain({ every: 10, version: 1 }), { name })
    expect(await totalSeen(second)).toBe('1005')
    await second.close()
    // A snapshot whose version differs from the code's is ignored: full replay.
    const third = createLocalClient(counterDomain({ every: 10, version: 2 }), { name })
    expect(await totalSeen(third)).toBe('25')
    await third.close()
  })

  it('a snapshot taken at an event that is no longer in the log (replaced by a rebase) is ignored', async () => {
    const name = freshName('snap')
    const client = createLocalClient(counterDomain({ every: 5, version: 1 }), { name })
    for (let i = 0; i < 7; i++) await client.execute('counter.add', { id: 'c', input: { by: 2 } })
    await client.runtime.database.table('snapshots').update('counter:c', { headId: 'replaced', state: { total: -1 } })
    await client.close()
    const again = createLocalClient(counterDomain({ every: 5, version: 1 }), { name })
    expect(await totalSeen(again)).toBe('14')
    await again.close()
  })
})
