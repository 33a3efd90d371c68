/**
 * Found by the sync simulation (dimension `spaces`): leaving a space deletes its events, pending ones included,
 * which sit at the tail of the local log, without recording the high-water mark of local positions
 * (`meta.lposHigh`). The next event (a command, a pull) is given a position an async projection, a reactor and
 * `whenProcessed` have already moved past: the async read model never shows it.
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
    texts: defineProjection({
      name: 'texts',
      version: 1,
      mode: 'async',
      from: [note],
      table: table<{ id: string; text: string }>({ key: 'id' }),
      on: { Written: (tx, e) => tx.put({ id: e.streamId, text: e.data.text }) },
    }),
  },
})

it('an event written after leaving a space with discarded work gets a new position (async projections see it)', async () => {
  const servers = new Map([
    ['s1', new MemorySyncServer()],
    ['s2', new MemorySyncServer()],
  ])
  const client = createLocalClient(domain, {
    name: freshName('leave-lpos'),
    sync: {
      spacesTransport: spacesTransport((space) => servers.get(space)?.transport()),
      spaces: ['s1', 's2'],
      autoStart: false,
    },
  })
  const discarded = await client.execute('note.write', { id: 'n2', input: { text: 'discarded' }, space: 's2' })
  await client.whenProcessed(discarded.events[0]?.position ?? 0)
  await client.leaveSpace('s2', { discardPending: true })
  const kept = await client.execute('note.write', { id: 'n1', input: { text: 'kept' }, space: 's1' })
  expect(kept.events[0]?.position).toBeGreaterThan(discarded.events[0]?.position ?? 0) // failed before the fix
  await client.whenProcessed(kept.events[0]?.position ?? 0)
  expect(await client.find('texts')).toMatchObject([{ id: 'n1', text: 'kept', space: 's1' }])
  await client.close()
})
