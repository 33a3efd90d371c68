/**
 * The multi-space routes: `POST /v1/pull` (several spaces' tails in one request) and `POST /v1/live` (one SSE
 * stream of pokes for many spaces), on real storages and real servers.
 */
import type {
  LivePoke,
  MultiLiveReady,
  MultiPullResponse,
  PullResponse,
  SpaceCursor,
  SpacePullResult,
  StoredWireEvent,
  WireEvent,
} from '@cairn/core/protocol'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { createSyncServer, type SyncServerOptions } from '../src/app.js'
import { parseTokens, tokenAuthorizer } from '../src/auth.js'
import { type RunningServer, type StartServerOptions, startServer } from '../src/start.js'
import { createMemoryStorage } from '../src/storage/memory.js'
import { createPostgresStorage, dropPostgresSchema } from '../src/storage/postgres.js'
import { createSqliteStorage } from '../src/storage/sqlite.js'
import type { SyncStorage } from '../src/storage/types.js'
import { ev, type LiveClient, openLive, PG_URL, post, tempDir, uniqueSchema, waitFor } from './helpers.js'

const tmp = tempDir()
const schema = uniqueSchema('multi')
const pgSchemas: string[] = []
const storages: SyncStorage[] = []
const running: RunningServer[] = []
const clients: LiveClient[] = []
let n = 0

afterEach(async () => {
  for (const c of clients.splice(0)) c.close()
  await Promise.all(running.splice(0).map((s) => s.close()))
})
afterAll(async () => {
  for (const s of storages) await s.close().catch(() => {})
  for (const s of pgSchemas) await dropPostgresSchema(PG_URL, s)
  tmp.cleanup()
})

const adapters: [string, () => Promise<SyncStorage>][] = [
  ['sqlite', async () => createSqliteStorage({ path: `${tmp.dir}/db-${++n}.db` })],
  [
    'postgres',
    async () => {
      const name = `${schema}_${++n}`
      pgSchemas.push(name)
      return createPostgresStorage({ url: PG_URL, schema: name })
    },
  ],
]

const BASE = 'http://cairn.test'
type Fetch = (input: string, init?: RequestInit) => Promise<Response>

/** A server answered in-process over `storage` (rate limits off unless given). */
function serverOver(storage: SyncStorage, options: Partial<SyncServerOptions> = {}): Fetch {
  return createSyncServer({ storage, rateLimit: false, ...options }).fetch
}

interface Answer {
  status: number
  text: string
  body: Record<string, unknown>
  headers: Headers
}

async function call(fetch: Fetch, path: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(`${BASE}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
  const text = await res.text()
  let parsed: Record<string, unknown> = {}
  try {
    parsed = JSON.parse(text) as Record<string, unknown>
  } catch {
    // not JSON: the tests that care look at `text`
  }
  return { status: res.status, text, body: parsed, headers: res.headers }
}

async function pullMany(
  fetch: Fetch,
  spaces: SpaceCursor[],
  options: { limit?: number; headers?: Record<string, string> } = {},
): Promise<{ results: SpacePullResult[]; text: string }> {
  const body = options.limit === undefined ? { spaces } : { spaces, limit: options.limit }
  const answer = await call(fetch, '/v1/pull', body, options.headers)
  if (answer.status !== 200) throw new Error(`pull failed: ${answer.status} ${answer.text}`)
  return { results: (answer.body as unknown as MultiPullResponse).results, text: answer.text }
}

const pageOf = (result: SpacePullResult | undefined): PullResponse & { space: string } => {
  if (!result || !('events' in result)) throw new Error(`not a page: ${JSON.stringify(result)}`)
  return result
}

async function append(storage: SyncStorage, space: string, events: WireEvent[]): Promise<void> {
  const result = await storage.append(space, 'seed', events)
  if (!result.ok) throw new Error(`append failed: ${result.code}`)
}

const streamEvents = (stream: string, count: number, data: Record<string, unknown> = {}) =>
  Array.from({ length: count }, (_, i) => ev(stream, i + 1, data))
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i)

describe.each(adapters)('POST /v1/pull (%s)', { timeout: 30_000 }, (_name, make) => {
  it('answers several spaces in one request, in the order asked, each from its cursor, capped by limit', async () => {
    const storage = await make()
    storages.push(storage)
    const fetch = serverOver(storage)
    const a = streamEvents('card:a', 5, { in: 'a' })
    const b = streamEvents('card:b', 3, { in: 'b' })
    await append(storage, 'sa', a)
    await append(storage, 'sb', b)
    const backendId = await storage.backendId()

    const { results } = await pullMany(
      fetch,
      [
        { space: 'sb', after: 1 },
        { space: 'empty', after: 0 },
        { space: 'sa', after: 0 },
      ],
      { limit: 4 },
    )
    expect(results.map((r) => r.space)).toEqual(['sb', 'empty', 'sa'])
    expect(pageOf(results[0])).toEqual({
      space: 'sb',
      events: b.slice(1).map((e, i) => ({ ...e, seq: i + 2 })),
      head: 3,
      backendId,
    })
    expect(pageOf(results[1])).toEqual({ space: 'empty', events: [], head: 0, backendId })
    const sa = pageOf(results[2])
    expect(sa.events.map((e) => e.seq)).toEqual([1, 2, 3, 4])
    expect(sa.events.map((e) => e.id)).toEqual(a.slice(0, 4).map((e) => e.id))
    expect(sa.head).toBe(5)

    // the default limit when none is sent; a cursor at (or past) the head gets nothing
    const again = await pullMany(fetch, [
      { space: 'sa', after: 4 },
      { space: 'sb', after: 3 },
      { space: 'sb-ahead', after: 7 },
    ])
    expect(pageOf(again.results[0]).events.map((e) => e.seq)).toEqual([5])
    expect(pageOf(again.results[1]).events).toEqual([])
    expect(pageOf(again.results[2])).toMatchObject({ events: [], head: 0 })
  })

  it('authorizes each space with its own token: a refused space gets its error and none of its events', async () => {
    const storage = await make()
    storages.push(storage)
    const fetch = serverOver(storage, { authorize: tokenAuthorizer(parseTokens('t1=alice:a;t2=alice:b')) })
    const inA = streamEvents('card:1', 2)
    const inB = streamEvents('card:2', 2)
    const inC = streamEvents('card:3', 2)
    await append(storage, 'a', inA)
    await append(storage, 'b', inB)
    await append(storage, 'c', inC)

    const { results, text } = await pullMany(fetch, [
      { space: 'a', after: 0, token: 't1' },
      { space: 'b', after: 0, token: 't1' }, // t1 does not grant b
      { space: 'c', after: 0 }, // no token at all
      { space: 'x', after: 0, token: 'nope' }, // an unknown token
    ])
    expect(pageOf(results[0]).events.map((e) => e.id)).toEqual(inA.map((e) => e.id))
    expect(results[1]).toEqual({
      space: 'b',
      status: 403,
      error: { code: 'FORBIDDEN', message: 'token does not grant space b' },
    })
    expect(results[2]).toEqual({
      space: 'c',
      status: 401,
      error: { code: 'UNAUTHORIZED', message: 'missing bearer token' },
    })
    expect(results[3]).toMatchObject({ space: 'x', status: 401, error: { code: 'UNAUTHORIZED' } })
    // not one byte of a refused space's log
    for (const e of [...inB, ...inC]) expect(text).not.toContain(e.id)
    expect(text.match(/"head":/g)).toHaveLength(1) // only a's page: no refused space reveals its head

    // without a token of its own, a space is authorized with the request's Authorization header
    const withHeader = await pullMany(
      fetch,
      [
        { space: 'a', after: 0, token: 't1' },
        { space: 'b', after: 0 },
      ],
      { headers: { authorization: 'Bearer t2' } },
    )
    expect(pageOf(withHeader.results[0]).events).toHaveLength(2)
    expect(pageOf(withHeader.results[1]).events.map((e) => e.id)).toEqual(inB.map((e) => e.id))
  })

  it('bounds the whole answer by maxPageBytes, fills spaces in order, and always makes progress', async () => {
    const storage = await make()
    storages.push(storage)
    const maxPageBytes = 2500
    const fetch = serverOver(storage, { limits: { maxPageBytes } })
    const pad = 'x'.repeat(1000)
    const logs: Record<string, WireEvent[]> = {
      s1: streamEvents('card:1', 5, { pad }),
      s2: streamEvents('card:2', 4, { pad }),
      s3: streamEvents('card:3', 3, { pad }),
    }
    for (const [space, events] of Object.entries(logs)) await append(storage, space, events)

    const first = await pullMany(fetch, [
      { space: 's1', after: 0 },
      { space: 's2', after: 0 },
      { space: 's3', after: 0 },
    ])
    const pages = first.results.map(pageOf)
    const s1 = pages[0]!.events
    expect(s1.length).toBeGreaterThanOrEqual(1)
    expect(s1.length).toBeLessThan(5)
    // the page stops after the event that reaches the budget
    const sizes = s1.map((e) => JSON.stringify(e).length)
    expect(sizes.slice(0, -1).reduce((x, y) => x + y, 0)).toBeLessThan(maxPageBytes)
    // the budget is spent: the later spaces come empty, with their head, so the client asks again
    expect(pages.slice(1).map((p) => [p.events.length, p.head])).toEqual([
      [0, 4],
      [0, 3],
    ])

    // paging on by each space's cursor brings every event exactly once, in order
    const got: Record<string, StoredWireEvent[]> = { s1: [...s1], s2: [], s3: [] }
    for (let round = 0; round < 20; round++) {
      const pending = Object.keys(logs).filter((s) => got[s]!.length < logs[s]!.length)
      if (pending.length === 0) break
      const { results } = await pullMany(
        fetch,
        pending.map((space) => ({ space, after: got[space]!.length })),
      )
      for (const result of results) got[result.space]!.push(...pageOf(result).events)
    }
    for (const [space, events] of Object.entries(logs)) {
      expect(got[space]!.map((e) => e.seq)).toEqual(range(1, events.length))
      expect(got[space]!.map((e) => e.id)).toEqual(events.map((e) => e.id))
    }

    // a budget smaller than any event: the first space with events past its cursor still gets one (progress)
    const tiny = serverOver(storage, { limits: { maxPageBytes: 10 } })
    const { results } = await pullMany(tiny, [
      { space: 's1', after: 5 }, // nothing past its cursor
      { space: 's2', after: 1 },
      { space: 's3', after: 0 },
    ])
    expect(results.map((r) => pageOf(r).events.map((e) => e.seq))).toEqual([[], [2], []])
    expect(results.map((r) => pageOf(r).head)).toEqual([5, 4, 3])
  })
})

describe('POST /v1/pull: bad requests', () => {
  const storage = createMemoryStorage()
  const fetch = serverOver(storage, { limits: { maxBodyBytes: 64 * 1024 } })
  const ok = { space: 's', after: 0 }
  const many = (count: number) => Array.from({ length: count }, (_, i) => ({ space: `s${i}`, after: 0 }))
  const cases: [string, unknown, number][] = [
    ['not JSON', '{"spaces": [', 400],
    ['not an object', '[]', 400],
    ['null', 'null', 400],
    ['no spaces', {}, 400],
    ['spaces not an array', { spaces: 's' }, 400],
    ['an empty list', { spaces: [] }, 400],
    ['more than 100 spaces', { spaces: many(101) }, 400],
    ['a space listed twice', { spaces: [ok, { space: 'x', after: 0 }, { space: 's', after: 3 }] }, 400],
    ['an unknown field', { spaces: [ok], extra: true }, 400],
    ['an unknown field in an entry', { spaces: [{ ...ok, cursor: 1 }] }, 400],
    ['__proto__ in an entry', `{"spaces":[{"space":"s","after":0,"__proto__":{}}]}`, 400],
    ['an entry not an object', { spaces: ['s'] }, 400],
    ['a bad space name', { spaces: [{ space: 'a/b', after: 0 }] }, 400],
    ['an empty space name', { spaces: [{ space: '', after: 0 }] }, 400],
    ['a space name too long', { spaces: [{ space: 'x'.repeat(65), after: 0 }] }, 400],
    ['a space not a string', { spaces: [{ space: 7, after: 0 }] }, 400],
    ['no cursor', { spaces: [{ space: 's' }] }, 400],
    ['a negative cursor', { spaces: [{ space: 's', after: -1 }] }, 400],
    ['a fractional cursor', { spaces: [{ space: 's', after: 1.5 }] }, 400],
    ['a cursor as a string', { spaces: [{ space: 's', after: '1' }] }, 400],
    ['a cursor beyond 2^53', '{"spaces":[{"space":"s","after":9007199254740993}]}', 400],
    ['a huge cursor', '{"spaces":[{"space":"s","after":1e400}]}', 400],
    ['a token not a string', { spaces: [{ ...ok, token: 5 }] }, 400],
    ['a token with a space', { spaces: [{ ...ok, token: 'a b' }] }, 400],
    ['a token with a newline', { spaces: [{ ...ok, token: 'a\nb' }] }, 400],
    ['an empty token', { spaces: [{ ...ok, token: '' }] }, 400],
    ['limit 0', { spaces: [ok], limit: 0 }, 400],
    ['limit above the maximum', { spaces: [ok], limit: 1001 }, 400],
    ['limit as a string', { spaces: [ok], limit: '5' }, 400],
    ['limit null', { spaces: [ok], limit: null }, 400],
  ]
  for (const route of ['/v1/pull', '/v1/live']) {
    it.each(cases)(`${route}: %s → 400 BAD_REQUEST`, async (_what, body, status) => {
      // the live route has no `limit`: a body with one is malformed there too
      const answer = await call(fetch, route, body)
      expect(answer.status).toBe(status)
      expect(answer.body).toMatchObject({ code: 'BAD_REQUEST', message: expect.any(String) })
    })

    it(`${route}: a body not sent as JSON → 415`, async () => {
      const answer = await call(fetch, route, { spaces: [ok] }, { 'content-type': 'text/plain' })
      expect(answer.status).toBe(415)
      expect(answer.body).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE' })
    })

    it(`${route}: a body over maxBodyBytes → 413, invalid UTF-8 → 400`, async () => {
      const large = { spaces: [{ ...ok, token: 'x'.repeat(8000) }], pad: 'y'.repeat(70 * 1024) }
      expect((await call(fetch, route, large)).status).toBe(413)
      const res = await fetch(`${BASE}${route}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: new Uint8Array([0x7b, 0xff, 0x7d]),
      })
      expect(res.status).toBe(400)
      expect(await res.json()).toMatchObject({ details: { reason: 'INVALID_UTF8' } })
    })
  }

  it('exactly 100 spaces are fine', async () => {
    const { results } = await pullMany(fetch, many(100))
    expect(results).toHaveLength(100)
    expect(results.map((r) => r.space)).toEqual(many(100).map((s) => s.space))
  })
})

describe('POST /v1/pull: limits', () => {
  const tokens = 't1=alice:a,b,c;t2=bob:a'

  it('counts every failed authentication against the address; a blocked address is refused 429 as a whole', async () => {
    const storage = createMemoryStorage()
    await append(storage, 'a', streamEvents('card:1', 1))
    const fetch = serverOver(storage, {
      authorize: tokenAuthorizer(parseTokens(tokens)),
      authFailureLimit: { burst: 3, ratePerSecond: 0.001 },
    })
    // two guesses next to a good space: the good one is served, the guesses refused and counted
    const mixed = await pullMany(fetch, [
      { space: 'a', after: 0, token: 'guess-1' },
      { space: 'b', after: 0, token: 't1' },
      { space: 'c', after: 0, token: 'guess-2' },
    ])
    expect(mixed.results.map((r) => ('status' in r ? r.status : 200))).toEqual([401, 200, 401])
    // one failure left: the third guess spends it, the fourth finds the address blocked (429, unchecked), and
    // the good space after it is not checked either; nothing was admitted, so the request as a whole is refused
    const blocked = await call(fetch, '/v1/pull', {
      spaces: [
        { space: 'a', after: 0, token: 'guess-3' },
        { space: 'b', after: 0, token: 'guess-4' },
        { space: 'c', after: 0, token: 't1' },
      ],
    })
    expect(blocked.status).toBe(429)
    expect(blocked.body).toMatchObject({ code: 'RATE_LIMITED' })
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0)
    // the same budget as the single-space routes: they are blocked too, even with a good token
    const single = await fetch(`${BASE}/v1/spaces/a/pull`, { headers: { authorization: 'Bearer t1' } })
    expect(single.status).toBe(429)
  })

  it('counts the whole request once against the rate limit of its (first admitted) principal', async () => {
    const storage = createMemoryStorage()
    const fetch = serverOver(storage, {
      authorize: tokenAuthorizer(parseTokens(tokens)),
      rateLimit: { burst: 3, ratePerSecond: 0.001 },
    })
    const three = [
      { space: 'a', after: 0 },
      { space: 'b', after: 0 },
      { space: 'c', after: 0 },
    ]
    const alice = { authorization: 'Bearer t1' }
    // three spaces per request, two requests: two tokens of alice's bucket, not six
    expect((await call(fetch, '/v1/pull', { spaces: three }, alice)).status).toBe(200)
    expect((await call(fetch, '/v1/pull', { spaces: three }, alice)).status).toBe(200)
    // bob's request counts against bob, not alice
    expect((await call(fetch, '/v1/pull', { spaces: [{ space: 'a', after: 0, token: 't2' }] })).status).toBe(200)
    // alice's third request takes her last token; a single-space request of hers then finds her bucket empty
    expect((await call(fetch, '/v1/pull', { spaces: three }, alice)).status).toBe(200)
    const single = await fetch(`${BASE}/v1/spaces/a/pull`, { headers: alice })
    expect(single.status).toBe(429)
    const multi = await call(fetch, '/v1/pull', { spaces: three }, alice)
    expect(multi.status).toBe(429)
    expect(multi.headers.get('retry-after')).not.toBeNull()
  })

  it('does not take a token from the URL (only the single-space GET live route may)', async () => {
    const fetch = serverOver(createMemoryStorage(), { authorize: tokenAuthorizer(parseTokens(tokens)) })
    const pulled = await call(fetch, '/v1/pull?token=t1', { spaces: [{ space: 'a', after: 0 }] })
    expect((pulled.body as unknown as MultiPullResponse).results[0]).toMatchObject({ status: 401 })
    const live = await call(fetch, '/v1/live?token=t1', { spaces: [{ space: 'a', after: 0 }] })
    expect(live.status).toBe(401)
    expect(live.headers.get('content-type')).toContain('application/json')
  })
})

// ---------------------------------------------------------------------------------------------------------------
// POST /v1/live

const start = async (options: StartServerOptions = {}) => {
  const server = await startServer({ port: 0, storage: createMemoryStorage(), rateLimit: false, ...options })
  running.push(server)
  return server
}
const liveSpaces = async (url: string, spaces: SpaceCursor[], headers: Record<string, string> = {}) => {
  const client = await openLive(`${url}/v1/live`, headers, { spaces })
  clients.push(client)
  return client
}
const readyOf = (client: LiveClient): MultiLiveReady => {
  const ready = client.messages[0]
  if (ready?.event !== 'ready') throw new Error(`no ready message: ${JSON.stringify(ready)}`)
  return JSON.parse(ready.data) as MultiLiveReady
}
const pokesOf = (client: LiveClient): LivePoke[] =>
  client.messages.filter((m) => m.event === 'poke').map((m) => JSON.parse(m.data) as LivePoke)
const pushTo = async (url: string, space: string, events: WireEvent[], token?: string) => {
  const res = await post(
    `${url}/v1/spaces/${space}/push`,
    { clientId: 'pusher', events },
    token ? { authorization: `Bearer ${token}` } : {},
  )
  expect(res.status).toBe(200)
}

describe('POST /v1/live', { timeout: 20_000 }, () => {
  it('one stream pokes for every admitted space; refused spaces are listed in ready and never poked', async () => {
    const { url, sync } = await start({ tokens: 't1=alice:a,b;t2=bob:c' })
    await pushTo(url, 'b', streamEvents('card:b', 2), 't1')
    await pushTo(url, 'c', streamEvents('card:c', 1), 't2')
    const client = await liveSpaces(
      url,
      [
        { space: 'a', after: 0 },
        { space: 'b', after: 1 }, // behind the head at open: poked right away
        { space: 'c', after: 0 }, // alice's token does not grant c
        { space: 'd', after: 0, token: 'nope' },
      ],
      { authorization: 'Bearer t1' },
    )
    expect(client.status).toBe(200)
    await waitFor(() => client.messages.length >= 2, 5000, 'ready and the first poke')
    const ready = readyOf(client)
    expect(ready.heads).toEqual({ a: 0, b: 2 })
    expect(ready.backendId).toEqual(expect.any(String))
    expect(ready.refused).toEqual([
      { space: 'c', status: 403, error: { code: 'FORBIDDEN', message: 'token does not grant space c' } },
      { space: 'd', status: 401, error: { code: 'UNAUTHORIZED', message: 'invalid token' } },
    ])
    expect(pokesOf(client)).toEqual([{ space: 'b', head: 2 }])
    expect(sync.liveConnections()).toBe(1)

    await pushTo(url, 'a', streamEvents('card:a', 3), 't1')
    await waitFor(() => pokesOf(client).some((p) => p.space === 'a'), 5000, 'poke of a')
    await pushTo(url, 'b', [ev('card:b', 3)], 't1')
    await waitFor(() => pokesOf(client).some((p) => p.space === 'b' && p.head === 3), 5000, 'poke of b')
    await pushTo(url, 'c', [ev('card:c', 2)], 't2')
    await pushTo(url, 'a', [ev('card:a', 4)], 't1')
    await waitFor(() => pokesOf(client).some((p) => p.space === 'a' && p.head === 4), 5000, 'second poke of a')
    const pokes = pokesOf(client)
    expect(pokes.filter((p) => p.space === 'c')).toEqual([])
    // pokes only: no event travels on this stream
    expect(client.messages.every((m) => m.event === 'ready' || m.event === 'poke')).toBe(true)
    expect(pokes).toEqual([
      { space: 'b', head: 2 },
      { space: 'a', head: 3 },
      { space: 'b', head: 3 },
      { space: 'a', head: 4 },
    ])
  })

  it('coalesces pokes: heads only grow, and the last poke is the head', async () => {
    const { url } = await start()
    const client = await liveSpaces(url, [
      { space: 'a', after: 0 },
      { space: 'b', after: 0 },
    ])
    await waitFor(() => client.messages.length >= 1, 5000, 'ready')
    await Promise.all(
      ['a', 'b'].map(async (space) => {
        for (let v = 1; v <= 30; v++) await pushTo(url, space, [ev(`card:${space}`, v)])
      }),
    )
    for (const space of ['a', 'b'])
      await waitFor(
        () => pokesOf(client).some((p) => p.space === space && p.head === 30),
        5000,
        `last poke of ${space}`,
      )
    for (const space of ['a', 'b']) {
      const heads = pokesOf(client)
        .filter((p) => p.space === space)
        .map((p) => p.head)
      expect(heads.length).toBeLessThanOrEqual(30)
      expect(heads).toEqual([...heads].sort((x, y) => x - y))
      expect(new Set(heads).size).toBe(heads.length)
    }
  })

  it('answers the refusal as JSON, not a stream, when no space is admitted', async () => {
    const { url, sync } = await start({ tokens: 't1=alice:a' })
    const forbidden = await post(
      `${url}/v1/live`,
      { spaces: [{ space: 'b', after: 0 }] },
      { authorization: 'Bearer t1' },
    )
    expect(forbidden.status).toBe(403)
    expect(forbidden.headers.get('content-type')).toContain('application/json')
    expect(forbidden.body).toMatchObject({ code: 'FORBIDDEN' })
    const unauthorized = await post(`${url}/v1/live`, {
      spaces: [
        { space: 'a', after: 0 },
        { space: 'b', after: 0, token: 'nope' },
      ],
    })
    expect(unauthorized.status).toBe(401)
    expect(unauthorized.body).toMatchObject({ code: 'UNAUTHORIZED', message: 'missing bearer token' })
    expect(sync.liveConnections()).toBe(0)
  })

  it('counts a multi-space stream once against the per-principal cap', async () => {
    const { url } = await start({ tokens: 't1=alice:*', live: { maxStreamsPerPrincipal: 2 } })
    const alice = { authorization: 'Bearer t1' }
    const many = await liveSpaces(
      url,
      range(1, 10).map((i) => ({ space: `s${i}`, after: 0 })),
      alice,
    )
    expect(many.status).toBe(200)
    const single = await openLive(`${url}/v1/spaces/s1/live?token=t1`)
    clients.push(single)
    expect(single.status).toBe(200)
    const third = await fetch(`${url}/v1/live`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...alice },
      body: JSON.stringify({ spaces: [{ space: 's1', after: 0 }] }),
    })
    expect(third.status).toBe(429)
    expect(third.headers.get('connection')).toBe('close')
    // closing the multi-space stream frees one slot
    many.close()
    await waitFor(
      async () => {
        const again = await openLive(`${url}/v1/live`, alice, { spaces: [{ space: 's2', after: 0 }] })
        clients.push(again)
        return again.status === 200
      },
      5000,
      'a freed slot',
    )
  })

  it('ends every stream on closeAll (shutdown), unsubscribing each space; later ones get 503', async () => {
    const memory = createMemoryStorage()
    let subscribed = 0
    const storage: SyncStorage = {
      ...memory,
      subscribe: (space, listener) => {
        subscribed += 1
        const unsubscribe = memory.subscribe(space, listener)
        return () => {
          subscribed -= 1
          unsubscribe()
        }
      },
    }
    const { url, sync } = await start({ storage })
    const client = await liveSpaces(url, [
      { space: 'a', after: 0 },
      { space: 'b', after: 0 },
      { space: 'c', after: 0 },
    ])
    await waitFor(() => client.messages.length >= 1, 5000, 'ready')
    expect(subscribed).toBe(3)
    sync.closeLive()
    await client.ended
    await waitFor(() => sync.liveConnections() === 0, 5000, 'no live connection')
    expect(subscribed).toBe(0)
    const later = await post(`${url}/v1/live`, { spaces: [{ space: 'a', after: 0 }] })
    expect(later.status).toBe(503)
  })

  it('ends at the earliest expiry of the admitted spaces’ credentials', async () => {
    const opened = Date.now()
    const { url } = await start({
      authorize: (_request, space) =>
        space === 'refused'
          ? { ok: false, status: 403 }
          : { ok: true, principal: 'p', expiresAt: opened + (space === 'soon' ? 400 : 60_000) },
    })
    const client = await liveSpaces(url, [
      { space: 'late', after: 0 },
      { space: 'soon', after: 0 },
      { space: 'refused', after: 0 },
    ])
    await waitFor(() => client.messages.length >= 1, 5000, 'ready')
    let ended = false
    void client.ended.then(() => {
      ended = true
    })
    await waitFor(() => ended, 5000, 'the stream to end at the expiry of `soon`')
    expect(Date.now() - opened).toBeGreaterThanOrEqual(350)
  })

  it('sends keep-alive comments', async () => {
    const { url } = await start({ live: { keepAliveMs: 50 } })
    const client = await liveSpaces(url, [{ space: 'a', after: 0 }])
    await waitFor(() => client.comments.includes('keep-alive'), 5000, 'a keep-alive comment')
  })
})

describe('POST /v1/live across PostgreSQL instances', { timeout: 30_000 }, () => {
  it('a push on one instance pokes a multi-space stream held by another (LISTEN/NOTIFY)', async () => {
    const name = `${schema}_cluster`
    pgSchemas.push(name)
    const [one, two] = await Promise.all(
      [0, 1].map(() => startServer({ port: 0, databaseUrl: PG_URL, pgSchema: name, rateLimit: false })),
    )
    running.push(one!, two!)
    const client = await liveSpaces(two!.url, [
      { space: 'x', after: 0 },
      { space: 'y', after: 0 },
    ])
    await waitFor(() => client.messages.length >= 1, 5000, 'ready')
    await pushTo(one!.url, 'x', streamEvents('card:x', 2))
    await waitFor(() => pokesOf(client).some((p) => p.space === 'x' && p.head === 2), 5000, 'poke of x via one')
    await pushTo(one!.url, 'y', [ev('card:y', 1)])
    await waitFor(() => pokesOf(client).some((p) => p.space === 'y' && p.head === 1), 5000, 'poke of y via one')
    expect(pokesOf(client).every((p) => p.space === 'x' || p.space === 'y')).toBe(true)
  })
})
