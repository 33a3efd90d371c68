/**
 * The multi-space HTTP transport against a real `@cairn/server` (answered in-process: its `fetch`, streaming
 * included): push per space, one pull request for many spaces, one live stream of pokes for all of them.
 */
import { httpSpacesTransport, SyncHttpError, SyncNetworkError } from '@cairn/core'
import type { WireEvent } from '@cairn/core/protocol'
import {
  createMemoryStorage,
  createSyncServer,
  parseTokens,
  type SyncServerOptions,
  type SyncStorage,
  tokenAuthorizer,
} from '@cairn/server'
import { describe, expect, it } from 'vitest'
import type { SpacePage } from '../src/sync/transport'

const url = 'http://cairn.test'
let n = 0
const event = (stream: string, version: number): WireEvent => ({
  id: `e-${++n}-${Math.random().toString(36).slice(2, 10)}`,
  stream,
  version,
  type: 'Happened',
  data: { n },
})
const batch = (stream: string, from: number, count: number) =>
  Array.from({ length: count }, (_, i) => event(stream, from + i))

/** A server answered in-process, and its fetch counting the requests per path. */
function server(options: Partial<SyncServerOptions> & { storage?: SyncStorage } = {}) {
  const sync = createSyncServer({ storage: createMemoryStorage(), rateLimit: false, ...options })
  const requests: string[] = []
  const fetch: typeof globalThis.fetch = (input, init) => {
    requests.push(`${init?.method ?? 'GET'} ${new URL(String(input)).pathname}`)
    return sync.fetch(input, init)
  }
  return { sync, fetch, requests }
}

const TOKENS = { a: 't1', b: 't2' } as Record<string, string>
const authorized = () => server({ authorize: tokenAuthorizer(parseTokens('t1=alice:a;t2=alice:b')) })

const seqs = (page: SpacePage | undefined) => {
  if (!page || !('page' in page)) throw new Error(`not a page: ${String(page?.error)}`)
  return page.page.events.map((e) => e.seq)
}

/** Polls until `condition` holds. */
async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

describe('httpSpacesTransport', () => {
  it('pushes per space with its own token and pulls several spaces in one request', async () => {
    const { fetch, requests } = authorized()
    const transport = httpSpacesTransport({ url: `${url}/`, fetch, getToken: (space) => TOKENS[space] })
    const pushedA = await transport.push('a', { clientId: 'c1', events: batch('card:1', 1, 3) })
    expect(pushedA).toMatchObject({ head: 3, accepted: [{ seq: 1 }, { seq: 2 }, { seq: 3 }] })
    await transport.push('b', { clientId: 'c1', events: batch('card:2', 1, 2) })
    requests.length = 0

    const pages = await transport.pull(
      [
        { space: 'b', after: 0 },
        { space: 'a', after: 1 },
      ],
      100,
    )
    expect(requests).toEqual(['POST /v1/pull'])
    expect(pages.map((p) => p.space)).toEqual(['b', 'a'])
    expect(seqs(pages[0])).toEqual([1, 2])
    expect(seqs(pages[1])).toEqual([2, 3])
    const a = pages[1]
    expect(a && 'page' in a && a.page).toMatchObject({ head: 3, backendId: expect.any(String) })

    // the limit is per space
    const limited = await transport.pull(
      [
        { space: 'a', after: 0 },
        { space: 'b', after: 0 },
      ],
      1,
    )
    expect(limited.map(seqs)).toEqual([[1], [1]])
  })

  it('splits a pull of more than 100 spaces into several requests, answering in the order asked', async () => {
    const { fetch, requests } = server()
    const transport = httpSpacesTransport({ url, fetch })
    await transport.push('s-149', { clientId: 'c1', events: batch('card:1', 1, 2) })
    requests.length = 0
    const from = Array.from({ length: 150 }, (_, i) => ({ space: `s-${i}`, after: 0 }))
    const pages = await transport.pull(from, 10)
    expect(requests).toEqual(['POST /v1/pull', 'POST /v1/pull'])
    expect(pages.map((p) => p.space)).toEqual(from.map((f) => f.space))
    expect(seqs(pages[149])).toEqual([1, 2])
    expect(seqs(pages[0])).toEqual([])
  })

  it('returns a refused space as its own error and serves the others', async () => {
    const { fetch } = authorized()
    const seed = httpSpacesTransport({ url, fetch, getToken: (space) => TOKENS[space] })
    await seed.push('a', { clientId: 'c1', events: batch('card:1', 1, 1) })
    await seed.push('b', { clientId: 'c1', events: batch('card:2', 1, 1) })

    // a's token for every space: b is forbidden, c unknown to the tokens
    const fixed = httpSpacesTransport({ url, fetch, token: 't1' })
    const pages = await fixed.pull(
      [
        { space: 'a', after: 0 },
        { space: 'b', after: 0 },
      ],
      100,
    )
    expect(seqs(pages[0])).toEqual([1])
    const b = pages[1]
    if (!b || !('error' in b)) throw new Error('b should be refused')
    expect(b.error).toBeInstanceOf(SyncHttpError)
    expect(b.error).toMatchObject({ status: 403, code: 'FORBIDDEN' })
    expect('page' in b).toBe(false)

    // per-space tokens, one of them wrong, one missing
    const perSpace = httpSpacesTransport({
      url,
      fetch,
      getToken: (space) => ({ a: 'wrong', b: 't2' })[space],
    })
    const mixed = await perSpace.pull(
      [
        { space: 'a', after: 0 },
        { space: 'b', after: 0 },
        { space: 'c', after: 0 },
      ],
      100,
    )
    expect(mixed.map((p) => ('error' in p ? (p.error as SyncHttpError).status : 200))).toEqual([401, 200, 401])
    expect(seqs(mixed[1])).toEqual([1])
    // a push with a refused token fails as a whole
    await expect(perSpace.push('a', { clientId: 'c1', events: [event('card:1', 2)] })).rejects.toMatchObject({
      status: 401,
      code: 'UNAUTHORIZED',
    })
  })

  it('throws for a failure of the whole request: SyncHttpError with Retry-After, SyncNetworkError', async () => {
    const { fetch } = server({ rateLimit: { burst: 1, ratePerSecond: 0.001 } })
    const transport = httpSpacesTransport({ url, fetch })
    const from = [
      { space: 'a', after: 0 },
      { space: 'b', after: 0 },
    ]
    expect(await transport.pull(from, 10)).toHaveLength(2)
    const limited = await transport.pull(from, 10).then(
      () => undefined,
      (error: unknown) => error,
    )
    expect(limited).toBeInstanceOf(SyncHttpError)
    expect(limited).toMatchObject({ status: 429, code: 'RATE_LIMITED' })
    expect((limited as SyncHttpError).retryAfterMs).toBeGreaterThan(0)

    // nothing listens on port 1 of this machine
    const unreachable = httpSpacesTransport({ url: 'http://127.0.0.1:1' })
    await expect(unreachable.pull(from, 10)).rejects.toBeInstanceOf(SyncNetworkError)
  })

  it('live: one stream pokes for every space; refused spaces are reported; close stops it', async () => {
    const { sync, fetch, requests } = authorized()
    const writer = httpSpacesTransport({ url, fetch, getToken: (space) => TOKENS[space] })
    await writer.push('b', { clientId: 'w', events: batch('card:2', 1, 2) })

    const reader = httpSpacesTransport({
      url,
      fetch,
      getToken: (space) => ({ a: 't1', b: 't2', c: 't1' })[space],
    })
    const pokes: [string, number][] = []
    const connected: boolean[] = []
    const refused: [string, number][] = []
    requests.length = 0
    const close = reader.live!(
      [
        { space: 'a', after: 0 },
        { space: 'b', after: 1 }, // behind at open: poked at once (once, though ready and a poke both say so)
        { space: 'c', after: 0 }, // t1 does not grant c
      ],
      {
        onPoke: (space, head) => pokes.push([space, head]),
        onConnected: (c) => connected.push(c),
        onRefused: (space, error) => refused.push([space, (error as SyncHttpError).status]),
      },
    )
    await until(() => connected.length > 0 && pokes.length > 0, 'connected and the first poke')
    expect(requests).toEqual(['POST /v1/live'])
    expect(connected).toEqual([true])
    expect(refused).toEqual([['c', 403]])
    expect(sync.liveConnections()).toBe(1)

    await writer.push('a', { clientId: 'w', events: batch('card:1', 1, 1) })
    await until(() => pokes.some(([s]) => s === 'a'), 'poke of a')
    await writer.push('b', { clientId: 'w', events: batch('card:2', 3, 2) })
    await until(() => pokes.some(([s, h]) => s === 'b' && h === 4), 'poke of b')
    expect(pokes).toEqual([
      ['b', 2],
      ['a', 1],
      ['b', 4],
    ])
    expect(requests).toEqual(['POST /v1/live', 'POST /v1/spaces/a/push', 'POST /v1/spaces/b/push'])

    close()
    await until(() => sync.liveConnections() === 0, 'the server to end the stream')
    await writer.push('a', { clientId: 'w', events: batch('card:1', 2, 1) })
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(pokes).toHaveLength(3)
    // closed by us: no disconnection to report
    expect(connected).toEqual([true])
  })

  it('live: reports the end of the stream (server shutdown) and a stream with no space admitted', async () => {
    const { sync, fetch } = authorized()
    const connected: boolean[] = []
    const handlers = { onPoke: () => {}, onConnected: (c: boolean) => connected.push(c) }
    httpSpacesTransport({ url, fetch, token: 't1' }).live!([{ space: 'a', after: 0 }], handlers)
    await until(() => connected.length === 1, 'connected')
    sync.closeLive()
    await until(() => connected.length === 2, 'disconnected')
    expect(connected).toEqual([true, false])

    const other = authorized()
    const refused: [string, string][] = []
    const ended: boolean[] = []
    httpSpacesTransport({ url, fetch: other.fetch, token: 't1' }).live!(
      [
        { space: 'b', after: 0 },
        { space: 'c', after: 0 },
      ],
      {
        onPoke: () => {},
        onConnected: (c) => ended.push(c),
        onRefused: (space, error) => refused.push([space, error.code]),
      },
    )
    await until(() => ended.length === 1, 'the refused channel to end')
    expect(ended).toEqual([false])
    expect(refused).toEqual([
      ['b', 'FORBIDDEN'],
      ['c', 'FORBIDDEN'],
    ])
    expect(other.sync.liveConnections()).toBe(0)
  })
})
