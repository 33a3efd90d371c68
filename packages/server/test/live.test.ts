import { afterEach, describe, expect, it } from 'vitest'
import { createSyncServer } from '../src/app.js'
import { type RunningServer, type StartServerOptions, startServer } from '../src/start.js'
import { createMemoryStorage } from '../src/storage/memory.js'
import { createSqliteStorage } from '../src/storage/sqlite.js'
import { ev, type LiveClient, openLive, post, push, tempDir, waitFor } from './helpers.js'

const running: RunningServer[] = []
const clients: LiveClient[] = []
const start = async (options: StartServerOptions = {}) => {
  const server = await startServer({ port: 0, storage: createMemoryStorage(), rateLimit: false, ...options })
  running.push(server)
  return server
}
const live = async (url: string, headers: Record<string, string> = {}) => {
  const client = await openLive(url, headers)
  clients.push(client)
  return client
}
afterEach(async () => {
  for (const c of clients.splice(0)) c.close()
  await Promise.all(running.splice(0).map((s) => s.close()))
})

const seqs = (client: LiveClient) => client.events().map((e) => e.seq)
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i)

describe('live channel (SSE)', { timeout: 20_000 }, () => {
  it('sends ready, then new events as `event: events` with { events, head } and the seq as id', async () => {
    const { url } = await start()
    const client = await live(`${url}/v1/spaces/s/live`)
    expect(client.status).toBe(200)
    await waitFor(() => client.messages.length === 1, 5000, 'ready')
    expect(client.messages[0]).toMatchObject({ event: 'ready' })
    expect(JSON.parse(client.messages[0]!.data)).toMatchObject({ head: 0, backendId: expect.any(String) })
    const events = [ev('card:1', 1, { t: 1 }), ev('card:1', 2)]
    await post(`${url}/v1/spaces/s/push`, push(events))
    await waitFor(() => client.messages.length === 2, 5000, 'events message')
    const message = client.messages[1]!
    expect(message.event).toBe('events')
    expect(message.id).toBe('2')
    expect(JSON.parse(message.data)).toEqual({ events: events.map((e, i) => ({ ...e, seq: i + 1 })), head: 2 })
  })

  it('resumes from ?after= and from Last-Event-ID (which wins)', async () => {
    const { url } = await start()
    await post(`${url}/v1/spaces/s/push`, push(range(1, 5).map((v) => ev('card:1', v))))
    const fromAfter = await live(`${url}/v1/spaces/s/live?after=2`)
    const fromHeader = await live(`${url}/v1/spaces/s/live?after=0`, { 'Last-Event-ID': '4' })
    await waitFor(() => seqs(fromAfter).length === 3 && seqs(fromHeader).length === 1, 5000, 'catch-up')
    await post(`${url}/v1/spaces/s/push`, push([ev('card:1', 6)]))
    await waitFor(() => seqs(fromAfter).length === 4 && seqs(fromHeader).length === 2, 5000, 'live event')
    expect(seqs(fromAfter)).toEqual([3, 4, 5, 6])
    expect(seqs(fromHeader)).toEqual([5, 6])
  })

  it('catches up a backlog larger than a page, then goes live', async () => {
    const { url } = await start({ live: { pageSize: 100 } })
    for (let b = 0; b < 5; b++)
      await post(`${url}/v1/spaces/s/push`, push(range(1, 100).map((v) => ev(`card:${b}`, v))))
    const client = await live(`${url}/v1/spaces/s/live`)
    await waitFor(() => seqs(client).length === 500, 5000, 'backlog')
    await post(`${url}/v1/spaces/s/push`, push([ev('card:x', 1)]))
    await waitFor(() => seqs(client).length === 501, 5000, 'live after backlog')
    expect(seqs(client)).toEqual(range(1, 501))
  })

  it('never skips or repeats an event committed while clients connect (SQLite)', async () => {
    const tmp = tempDir()
    try {
      const { url } = await start({ storage: createSqliteStorage({ path: `${tmp.dir}/live.db` }) })
      const pushers = Promise.all(
        range(1, 8).map(async (p) => {
          for (let v = 1; v <= 20; v++) {
            const res = await post(
              `${url}/v1/spaces/s/push`,
              push([ev(`card:${p}`, 2 * v - 1), ev(`card:${p}`, 2 * v)]),
            )
            expect(res.status).toBe(200)
          }
        }),
      )
      const connecting: Promise<LiveClient>[] = []
      for (let i = 0; i < 10; i++) {
        connecting.push(live(`${url}/v1/spaces/s/live?after=${i * 5}`))
        await post(`${url}/v1/spaces/s/push`, push([ev(`extra:${i}`, 1)]))
      }
      const opened = await Promise.all(connecting)
      await pushers
      const total = 8 * 40 + 10
      for (const [i, client] of opened.entries()) {
        await waitFor(() => (seqs(client).at(-1) ?? 0) >= total, 5000, `client ${i} to reach ${total}`)
        expect(seqs(client)).toEqual(range(i * 5 + 1, total))
      }
    } finally {
      tmp.cleanup()
    }
  })

  it('sends keep-alive comments', async () => {
    const { url } = await start({ live: { keepAliveMs: 20 } })
    const client = await live(`${url}/v1/spaces/s/live`)
    await waitFor(() => client.comments.includes('keep-alive'), 5000, 'keep-alive comment')
  })

  it('forgets a client that disconnects, and ends streams on closeLive', async () => {
    const server = await start()
    const a = await live(`${server.url}/v1/spaces/s/live`)
    const b = await live(`${server.url}/v1/spaces/s/live`)
    await waitFor(() => server.sync.liveConnections() === 2, 5000, 'two connections')
    a.close()
    await waitFor(() => server.sync.liveConnections() === 1, 5000, 'one connection')
    server.sync.closeLive()
    await b.ended
    expect(server.sync.liveConnections()).toBe(0)
  })
})

describe('in-process use (no listening socket)', () => {
  it('serves push and pull through fetch on a memory storage', async () => {
    const storage = createMemoryStorage({ backendId: 'fixed' })
    const sync = createSyncServer({ storage })
    const events = [ev('card:1', 1)]
    const res = await sync.fetch('http://cairn.test/v1/spaces/s/push', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(push(events)),
    })
    expect(await res.json()).toEqual({ accepted: [{ id: events[0]!.id, seq: 1 }], head: 1, backendId: 'fixed' })
    const pulled = await sync.fetch(new Request('http://cairn.test/v1/spaces/s/pull?after=0'))
    expect(await pulled.json()).toEqual({ events: [{ ...events[0], seq: 1 }], head: 1, backendId: 'fixed' })
    expect(await storage.read('s', 0, 10)).toHaveLength(1)
    await storage.close()
  })
})
