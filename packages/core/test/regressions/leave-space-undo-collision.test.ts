/**
 * Found by the sync simulation (dimension `spaces`): leaving a space rebuilds the `scope: 'all'` read models in
 * place and records their undo again for pending events, numbering it from the count of the position's
 * remaining undo rows (leave-space.ts, `rebuildInPlace`). When the rebuilt projection's rows were not the last
 * at that position (an async projection recorded after it), the numbers collide with the ones left:
 * ConstraintError, and the leave fails, although the space has no unsynced work.
 */
import { expect, it } from 'vitest'
import { createLocalClient } from '../../src/client/local-client'
import { defineAggregate, defineDomain, defineEvents, defineProjection, event, table } from '../../src/domain'
import { spacesTransport } from '../../src/sync/transport'
import { MemorySyncServer } from '../../src/testing/memory-sync-server'
import { freshName } from '../helpers'

const note = defineAggregate({
  name: 'note',
  events: defineEvents({ Written: event<{ text: string }>() }),
  initialState: () => ({}),
  evolve: { Written: (s) => s },
  commands: { write: (_s, input: { text: string }, ctx) => ctx.event('Written', input) },
})

const domain = defineDomain({
  aggregates: { note },
  projections: {
    // Undo at a pending event's position: `texts` n=0, `count` n=1, then `lengths` (async, later) n=2.
    texts: defineProjection({
      name: 'texts',
      version: 1,
      from: [note],
      table: table<{ id: string; text: string }>({ key: 'id' }),
      on: { Written: (tx, e) => tx.put({ id: e.streamId, text: e.data.text }) },
    }),
    count: defineProjection({
      name: 'count',
      version: 1,
      scope: 'all',
      from: [note],
      table: table<{ id: string; n: number }>({ key: 'id' }),
      on: { Written: async (tx) => tx.put({ id: 'all', n: ((await tx.get('all'))?.n ?? 0) + 1 }) },
    }),
    lengths: defineProjection({
      name: 'lengths',
      version: 1,
      mode: 'async',
      from: [note],
      table: table<{ id: string; length: number }>({ key: 'id' }),
      on: { Written: (tx, e) => tx.put({ id: e.streamId, length: e.data.text.length }) },
    }),
  },
})

it('leaving a space with nothing pending in it succeeds while another space has pending work', async () => {
  const servers = new Map([
    ['s1', new MemorySyncServer()],
    ['s2', new MemorySyncServer()],
  ])
  const client = createLocalClient(domain, {
    name: freshName('leave-undo'),
    sync: {
      spacesTransport: spacesTransport((space) => servers.get(space)?.transport()),
      spaces: ['s1', 's2'],
      autoStart: false,
    },
  })
  const written = await client.execute('note.write', { id: 'n1', input: { text: 'pending' }, space: 's1' })
  await client.whenProcessed(written.events[0]?.position ?? 0) // the async projection recorded its undo too
  // Nothing of s2 is pending; before the fix: ConstraintError (the rebuilt `count` undo took n=1... then n=2).
  const left = await client.leaveSpace('s2')
  expect(left).toMatchObject({ space: 's2', discarded: 0, rebuilt: ['count'] })
  // The rebuilt undo still rolls the pending event back correctly when a pull rebases it.
  await servers.get('s1')?.push({
    clientId: 'other',
    events: [{ id: 'theirs', stream: 'note:n1', version: 1, type: 'Written', data: { text: 'theirs' }, meta: {} }],
  })
  await client.syncNow()
  expect(await client.find('count')).toMatchObject([{ id: 'all', n: 2 }])
  expect((await client.find('texts')).map((r) => r.text)).toEqual(['pending'])
  await client.close()
})
