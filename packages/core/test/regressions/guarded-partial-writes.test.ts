/**
 * Review: in guarded mode a quarantined event's writes must all be undone for that projection, so that the read
 * model equals a rebuild that skips the event.
 */
import { expect, it, vi } from 'vitest'
import {
  defineAggregate,
  defineDomain,
  defineEvents,
  defineProjection,
  event,
  type ProjectionTx,
  type RecordedEvent,
  table,
} from '../../src/domain'
import { MemorySyncServer } from '../../src/testing/memory-sync-server'
import { syncClient } from '../fixtures/failure-helpers'

const acct = defineAggregate({
  name: 'acct',
  events: defineEvents({ Opened: event<{ handle: string }>() }),
  initialState: () => ({}),
  evolve: { Opened: (s) => s },
  commands: { open: (_s, input: { handle: string }, ctx) => ctx.event('Opened', input) },
})

type Row = { id: string; handle: string; opened?: number }
type Opened = RecordedEvent<'Opened', { handle: string }>

function domainWith(onOpened: (tx: ProjectionTx<Row>, e: Opened) => Promise<void>) {
  const handles = defineProjection({
    name: 'handles',
    version: 1,
    from: [acct],
    table: table<Row>({ key: 'id', indexes: ['&handle'] }),
    on: { Opened: onOpened },
    queries: { all: async (t) => (await t.toArray()).sort((a, b) => (a.id < b.id ? -1 : 1)) },
  })
  return defineDomain({ aggregates: { acct }, projections: { handles } })
}

it('two writes, the second refused by a unique index: the first is undone too', async () => {
  const domain = domainWith(async (tx, e) => {
    const total = (await tx.get('~total')) ?? { id: '~total', handle: '~total', opened: 0 }
    await tx.put({ ...total, opened: (total.opened ?? 0) + 1 })
    await tx.put({ id: e.streamId, handle: e.data.handle })
  })
  const server = new MemorySyncServer()
  const a = syncClient(domain, server)
  const b = syncClient(domain, server)
  await a.execute('acct.open', { id: 'u1', input: { handle: 'ann' } })
  await a.syncNow()
  await b.execute('acct.open', { id: 'u2', input: { handle: 'ann' } })
  await b.syncNow()
  const c = syncClient(domain, server)
  await c.syncNow()
  expect(await c.query('handles.all')).toEqual([
    { id: 'u1', handle: 'ann', space: 'default' },
    { id: '~total', handle: '~total', opened: 1, space: 'default' },
  ])
  for (const x of [a, b, c]) await x.close()
})

it('a handler that throws right after a write it did not await: the write is undone', async () => {
  const domain = domainWith(async (tx, e) => {
    void tx.put({ id: e.streamId, handle: e.data.handle })
    if (e.data.handle === 'poison') throw new Error('refuses poison')
  })
  const server = new MemorySyncServer()
  const a = syncClient(domain, server)
  await a.execute('acct.open', { id: 'u1', input: { handle: 'ann' } })
  await a.syncNow()
  // A poison event reaches the server from a device that could apply it (or older code).
  server.push({
    clientId: 'other',
    events: [
      {
        id: 'ev-poison',
        stream: 'acct:u9',
        version: 1,
        type: 'Opened',
        data: { handle: 'poison' },
        meta: { commandId: 'cmd-p', clientId: 'other', issuedAt: 1, schemaVersion: 1 } as never,
      },
    ],
  })
  const c = syncClient(domain, server)
  await c.syncNow()
  await vi.waitFor(() => expect(c.runtime.status.get().quarantined.map((q) => q.eventId)).toEqual(['ev-poison']))
  expect(await c.query('handles.all')).toEqual([{ id: 'u1', handle: 'ann', space: 'default' }])
  for (const x of [a, c]) await x.close()
})
