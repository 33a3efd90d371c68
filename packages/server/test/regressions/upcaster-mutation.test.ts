// Review (issue 15): the authority hands the pushed `event.data` object itself to the domain's upcasters
// (domain-validator.ts: `upcast(definition, event.data, sent)`). An upcaster that mutates its input (`d.by ??= ...;
// return d`, common and harmless in the client, which upcasts a copy) rewrites what is stored: the log holds data
// that was never sent, labelled with the old schemaVersion (clients then run the upcaster on already-upcast data),
// and the client that sent it keeps a different copy than every other client. Expected: upcast a copy (structuredClone) so what is stored is exactly what was sent.
import { describe, expect, it } from 'vitest'
import { createSyncServer } from '../../src/app.js'
import { createMemoryStorage } from '../../src/storage/memory.js'

const CardRenamed = {
  version: 2,
  upcast: {
    1: (d: Record<string, unknown>) => {
      d.by ??= 'someone'
      return d
    },
  },
}
const domain = { aggregates: { card: { name: 'card', events: { CardRenamed } } }, projections: {}, reactors: {} }

describe('review: hooks that mutate the event they are given', () => {
  it('stores what was sent', async () => {
    const sync = createSyncServer({ storage: createMemoryStorage(), rateLimit: false, domain: domain as never })
    const sent = {
      id: 'e1',
      stream: 'card:1',
      version: 1,
      type: 'CardRenamed',
      data: { title: 'x' },
      meta: { schemaVersion: 1 },
    }
    const push = () =>
      sync.fetch('http://cairn.test/v1/spaces/s/push', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ clientId: 'c', events: [sent] }),
      })
    expect((await push()).status).toBe(200)
    const pulled = (await (await sync.fetch('http://cairn.test/v1/spaces/s/pull')).json()) as {
      events: { data: unknown }[]
    }
    const retry = await push()
    expect({ stored: pulled.events[0]?.data, retry: retry.status }).toEqual({ stored: sent.data, retry: 200 })
  })

  it('an authorizeEvent hook that normalizes the event it is shown does not change what is stored', async () => {
    // the hook gets the very event object that is then stored (refusal.ts: `authorizeEvent({ ...request, event })`)
    const sync = createSyncServer({
      storage: createMemoryStorage(),
      rateLimit: false,
      authorizeEvent: ({ event }) => {
        const data = event.data as { title?: string }
        if (data.title !== undefined) data.title = data.title.trim() // "just checking", but in place
        return data.title !== ''
      },
    })
    const sent = { id: 'e1', stream: 'card:1', version: 1, type: 'CardAdded', data: { title: '  padded  ' } }
    const res = await sync.fetch('http://cairn.test/v1/spaces/s/push', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ clientId: 'c', events: [sent] }),
    })
    expect(res.status).toBe(200)
    const pulled = (await (await sync.fetch('http://cairn.test/v1/spaces/s/pull')).json()) as {
      events: { data: unknown }[]
    }
    expect(pulled.events[0]?.data).toEqual(sent.data)
  })
})
