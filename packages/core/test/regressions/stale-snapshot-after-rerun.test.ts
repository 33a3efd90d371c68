/**
 * Review: an aggregate snapshot is trusted when the event at its version has the snapshot's `headId`
 * (decide.ts loadStream). Since issue 11 a re-run keeps the command's event ids (apply-pull.ts rerun), so after
 * a refusal or a rebase-rejection the same id can sit at the same version with a different history before it.
 * The pull never drops snapshots of the streams it rewrote: the stale snapshot is used from then on, in this
 * runtime and after every restart.
 */
import { expect, it } from 'vitest'
import { defineAggregate, defineDomain, defineEvents, defineProjection, event, table } from '../../src/domain'
import { MemorySyncServer } from '../../src/testing/memory-sync-server'
import { syncClient } from '../fixtures/failure-helpers'
import { freshName } from '../helpers'

const counter = defineAggregate({
  name: 'counter',
  events: defineEvents({ Incremented: event<{ by: number }>(), Set: event<{ n: number }>() }),
  initialState: () => ({ n: 0 }),
  evolve: {
    Incremented: (s, e) => ({ n: s.n + e.data.by }),
    Set: (_s, e) => ({ n: e.data.n }),
  },
  snapshot: { every: 2, version: 1 },
  commands: {
    inc: (_s, input: { by: number }, ctx) => ctx.event('Incremented', input),
    setTo: (s, input: { n: number }, ctx) => (s.n === input.n ? [] : ctx.event('Set', input)),
  },
})
const counts = defineProjection({
  name: 'counts',
  version: 1,
  from: [counter],
  table: table<{ id: string; n: number }>({ key: 'id' }),
  on: {
    Incremented: async (tx, e) => {
      const row = (await tx.get(e.streamId)) ?? { id: e.streamId, n: 0 }
      await tx.put({ id: e.streamId, n: row.n + e.data.by })
    },
    Set: async (tx, e) => {
      await tx.put({ id: e.streamId, n: e.data.n })
    },
  },
  queries: { byId: async (t, id: string) => (await t.get(id)) ?? null },
})
const domain = defineDomain({ aggregates: { counter }, projections: { counts } })

it('a command decides on the true state after a refusal + rebase, not on a stale snapshot', async () => {
  const server = new MemorySyncServer({
    refuse: (e) => ((e.data as { by?: number }).by === 13 ? { code: 'FORBIDDEN', message: 'no 13' } : undefined),
  })
  const b = syncClient(domain, server)
  await b.execute('counter.inc', { id: 'x', input: { by: 100 } })
  await b.syncNow()
  const name = freshName('snap')
  const a = syncClient(domain, server, { name })
  await a.execute('counter.inc', { id: 'x', input: { by: 13 } }) // refused by the server
  await a.execute('counter.inc', { id: 'x', input: { by: 1 } }) // snapshot at v2 (n = 14), head = this event
  for (let i = 0; i < 4; i++) await a.syncNow().catch(() => {})
  expect(server.log.map((e) => e.data)).toEqual([{ by: 100 }, { by: 1 }])
  expect(await a.query('counts.byId', 'x')).toMatchObject({ n: 101 })
  await a.close()

  const reopened = syncClient(domain, server, { name })
  const r = await reopened.execute('counter.setTo', { id: 'x', input: { n: 14 } })
  expect(r.events).toHaveLength(1) // before the fix: decided on the snapshot's n = 14 (refused +13, missing +100): no event
  expect(await reopened.query('counts.byId', 'x')).toMatchObject({ n: 14 })
  await reopened.close()
  await b.close()
})
