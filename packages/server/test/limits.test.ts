import { connect, type Socket } from 'node:net'
import type { StoredWireEvent } from '@cairn/core/protocol'
import { afterEach, describe, expect, it } from 'vitest'
import { createSyncServer } from '../src/app.js'
import { PullCache } from '../src/pull-cache.js'
import { RateLimiter } from '../src/rate-limit.js'
import { type RunningServer, type StartServerOptions, startServer } from '../src/start.js'
import { createMemoryStorage } from '../src/storage/memory.js'
import { ev, get, openLive, post, push, tempDir, waitFor } from './helpers.js'

const running: RunningServer[] = []
const sockets: Socket[] = []
const tmp = tempDir()
const start = async (options: StartServerOptions) => {
  const server = await startServer({ port: 0, storage: createMemoryStorage(), rateLimit: false, ...options })
  running.push(server)
  return server
}
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy()
  await Promise.all(running.splice(0).map((s) => s.close()))
})

/** A raw TCP connection to the server, resolving once connected; `closed` settles when the server ends it. */
async function rawSocket(url: string): Promise<{ socket: Socket; received: () => string; closed: Promise<void> }> {
  const { port } = new URL(url)
  const socket = connect(Number(port), '127.0.0.1')
  sockets.push(socket)
  let received = ''
  socket.on('data', (chunk: Buffer) => {
    received += chunk.toString('latin1')
  })
  socket.on('error', () => {})
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve)
    socket.once('error', reject)
  })
  return { socket, received: () => received, closed }
}

const within = <T>(promise: Promise<T>, ms: number, what: string) =>
  Promise.race([
    promise,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what} not within ${ms} ms`)), ms)),
  ])

describe('live streams per principal', () => {
  it('answers 429 with Connection: close beyond the cap, per principal; a closed stream frees its slot', async () => {
    const { url } = await start({ tokens: 'a1=ann:s;a2=ann:s;b=bob:s', live: { maxStreamsPerPrincipal: 2 } })
    const live = (token: string) => openLive(`${url}/v1/spaces/s/live?token=${token}`)
    const first = await live('a1')
    const second = await live('a2') // another token of the same principal counts against the same cap
    expect([first.status, second.status]).toEqual([200, 200])
    const refused = await fetch(`${url}/v1/spaces/s/live?token=a1`)
    expect(refused.status).toBe(429)
    expect(refused.headers.get('connection')).toBe('close')
    expect(((await refused.json()) as { code: string }).code).toBe('RATE_LIMITED')
    const bob = await live('b')
    expect(bob.status).toBe(200)
    first.close()
    await waitFor(
      async () => {
        const again = await live('a1')
        if (again.status !== 200) return false
        again.close()
        return true
      },
      5000,
      'a freed slot',
    )
    second.close()
    bob.close()
  })

  it('caps anonymous streams per address', async () => {
    const { url } = await start({ live: { maxStreamsPerPrincipal: 2 } })
    const streams = [await openLive(`${url}/v1/spaces/s/live`), await openLive(`${url}/v1/spaces/s/live`)]
    expect((await fetch(`${url}/v1/spaces/s/live`)).status).toBe(429)
    for (const s of streams) s.close()
  })
})

describe('bytes per page', () => {
  const pad = 'x'.repeat(10_000)
  const seed = async (url: string) => {
    const events = Array.from({ length: 10 }, (_, i) => ev(`big:${i}`, 1, { pad }))
    expect((await post(`${url}/v1/spaces/s/push`, push(events))).status).toBe(200)
  }
  const pulled = async (url: string, after: number) =>
    ((await get(`${url}/v1/spaces/s/pull?after=${after}&limit=1000`)).body.events as StoredWireEvent[]).map(
      (e) => e.seq,
    )

  it.each([
    ['memory', () => ({ storage: createMemoryStorage() })],
    ['sqlite', () => ({ db: `${tmp.dir}/pages-${Math.random()}.db` })],
  ])(
    'a pull page stops at the byte budget but always holds one event (%s, from storage and from the cache)',
    async (_, storage) => {
      const { url } = await start({ ...storage(), limits: { maxPageBytes: 25_000 } })
      await seed(url)
      expect(await pulled(url, 0)).toEqual([1, 2, 3]) // from storage
      expect(await pulled(url, 0)).toEqual([1, 2, 3]) // from the cache
      expect(await pulled(url, 8)).toEqual([9, 10])
      const tiny = await start({ ...storage(), limits: { maxPageBytes: 1024 } })
      await seed(tiny.url)
      expect(await pulled(tiny.url, 0)).toEqual([1])
      expect(await pulled(tiny.url, 0)).toEqual([1])
    },
  )

  it('a live catch-up sends messages of at most the byte budget (one event at least), all events in order', async () => {
    const { url } = await start({ limits: { maxPageBytes: 25_000 } })
    await seed(url)
    const live = await openLive(`${url}/v1/spaces/s/live?after=0`)
    await waitFor(() => live.events().length === 10, 5000, 'ten events')
    const messages = live.messages.filter((m) => m.event === 'events')
    expect(messages.length).toBeGreaterThanOrEqual(4)
    for (const m of messages) expect((JSON.parse(m.data) as { events: unknown[] }).events.length).toBeLessThanOrEqual(3)
    expect(live.events().map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    live.close()
  })
})

describe('a live client that reads slowly', () => {
  it('gets every event in order after its bounded buffer overflowed (re-read from storage)', async () => {
    const storage = createMemoryStorage()
    const sync = createSyncServer({ storage, rateLimit: false, limits: { maxPageBytes: 100_000 } })
    const res = await sync.fetch('http://cairn.test/v1/spaces/s/live?after=0')
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader()
    // not reading: the stream backs up after the first message, live notifications pile up past the budget
    for (let i = 0; i < 30; i++) {
      const result = await storage.append('s', 'c', [ev(`slow:${i}`, 1, { pad: 'x'.repeat(30_000), i })])
      expect(result.ok).toBe(true)
    }
    let text = ''
    const seqs = () =>
      [...text.matchAll(/^data: (.*)$/gm)]
        .map((m) => JSON.parse(m[1]!) as { events?: StoredWireEvent[] })
        .flatMap((d) => d.events ?? [])
        .map((e) => e.seq)
    while (seqs().length < 30) {
      const { value, done } = await reader.read()
      if (done) break
      text += value
    }
    expect(seqs()).toEqual(Array.from({ length: 30 }, (_, i) => i + 1))
    await reader.cancel()
    sync.closeLive()
  })
})

describe('bounded memory', () => {
  it('the pull cache holds at most its byte budget, oldest out first', () => {
    const cache = new PullCache({ maxEvents: 1000, maxBytes: 50_000 })
    const events = Array.from({ length: 10 }, (_, i) => ({
      ...ev(`c:${i}`, 1, { pad: 'y'.repeat(10_000) }),
      seq: i + 1,
    }))
    cache.put('s', events)
    expect(cache.size.bytes).toBeLessThanOrEqual(50_000)
    expect(cache.size.events).toBe(4)
    expect(cache.get('s', 0, 10)).toBeUndefined()
    expect(cache.get('s', 6, 10)).toHaveLength(4)
    // an event larger than the whole cache is served but not kept
    cache.put('s', [{ ...ev('c:huge', 1, { pad: 'z'.repeat(60_000) }), seq: 11 }])
    expect(cache.size.events).toBe(4)
  })

  it('the rate-limit table keeps at most maxKeys fixed-size entries, whatever the keys', () => {
    const limiter = new RateLimiter({ ratePerSecond: 1, burst: 1, maxKeys: 100 }, () => 0)
    const huge = 'k'.repeat(14_000)
    for (let i = 0; i < 5000; i++) limiter.take(`${huge}${i}`)
    expect(limiter.size).toBe(100)
    expect(limiter.take(`${huge}4999`).ok).toBe(false) // still known: drained
  })
})

describe('connections and timeouts', () => {
  it('closes a connection whose headers do not arrive within headersTimeoutMs', async () => {
    const { url } = await start({ headersTimeoutMs: 300, requestTimeoutMs: 1000 })
    const half = await rawSocket(url)
    half.socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\n') // never finishes its headers
    await within(half.closed, 4000, 'closing a half-sent request')
    expect(half.received()).toMatch(/^HTTP\/1\.1 408/)
  })

  it('closes a connection whose body does not arrive within requestTimeoutMs', async () => {
    const { url } = await start({ headersTimeoutMs: 300, requestTimeoutMs: 600 })
    const slow = await rawSocket(url)
    slow.socket.write(
      'POST /v1/spaces/s/push HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"cl',
    )
    await within(slow.closed, 4000, 'closing a stalled upload')
    expect(slow.received()).toMatch(/^HTTP\/1\.1 408/)
  })

  it('accepts at most maxConnections sockets; the next is closed at once, and served again once one closes', async () => {
    const { url } = await start({ maxConnections: 3, headersTimeoutMs: 10_000, requestTimeoutMs: 10_000 })
    const held = [await rawSocket(url), await rawSocket(url), await rawSocket(url)]
    const extra = await rawSocket(url)
    await within(extra.closed, 4000, 'dropping the extra connection')
    expect(extra.received()).toBe('')
    held[0]!.socket.destroy()
    await held[0]!.closed
    await waitFor(async () => (await fetch(`${url}/healthz`).catch(() => undefined))?.status === 200, 5000, 'service')
  })
})
