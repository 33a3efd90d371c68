import type { StoredWireEvent, WireEvent } from '@cairn/core/protocol'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { type RunningServer, type StartServerOptions, startServer } from '../src/start.js'
import { createMemoryStorage } from '../src/storage/memory.js'
import type { SyncStorage } from '../src/storage/types.js'
import { ev, get, post, pullAll, push, tempDir } from './helpers.js'

const tmp = tempDir()
const running: RunningServer[] = []
const start = async (options: StartServerOptions) => {
  const server = await startServer({ port: 0, rateLimit: false, ...options })
  running.push(server)
  return server
}
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()))
})
afterAll(() => tmp.cleanup())

describe('HTTP API over a listening server (SQLite)', { timeout: 20_000 }, () => {
  it('round-trips push and pull, with head and backendId', async () => {
    const { url } = await start({ db: `${tmp.dir}/rt/cairn.db` })
    const events = [ev('card:1', 1, { title: 'a' }), ev('card:1', 2, { title: 'b' }), ev('card:2', 1)]
    events[2]!.meta = { commandId: 'cmd-1' }
    const health = await get(`${url}/healthz`)
    expect(health).toMatchObject({ status: 200, body: { ok: true } })
    const pushed = await post(`${url}/v1/spaces/team-1/push`, push(events))
    expect(pushed.status).toBe(200)
    expect(pushed.body).toEqual({
      accepted: events.map((e, i) => ({ id: e.id, seq: i + 1 })),
      head: 3,
      backendId: health.body.backendId,
    })
    const pulled = await get(`${url}/v1/spaces/team-1/pull?after=1&limit=5`)
    expect(pulled.body).toEqual({
      events: events.slice(1).map((e, i) => ({ ...e, seq: i + 2 })),
      head: 3,
      backendId: health.body.backendId,
    })
    expect((await get(`${url}/v1/spaces/team-1/pull`)).body.events).toHaveLength(3)
    expect((await get(`${url}/v1/spaces/team-1/pull?after=3`)).body).toMatchObject({ events: [], head: 3 })
    expect((await get(`${url}/v1/spaces/team-1/pull?limit=1`)).body.events).toHaveLength(1)
    expect((await get(`${url}/v1/spaces/other/pull`)).body).toMatchObject({ events: [], head: 0 })
  })

  it('answers 409 CONFLICT with streams and head, storing nothing of the batch', async () => {
    const { url } = await start({ db: `${tmp.dir}/conflict/cairn.db` })
    await post(`${url}/v1/spaces/s/push`, push([ev('card:1', 1)]))
    const res = await post(`${url}/v1/spaces/s/push`, push([ev('card:9', 1), ev('card:1', 1)]))
    expect(res.status).toBe(409)
    expect(res.body).toEqual({
      code: 'CONFLICT',
      message: expect.any(String),
      streams: [{ stream: 'card:1', expected: 2, actual: 1 }],
      head: 1,
    })
    expect(await pullAll(url, 's')).toHaveLength(1)
  })

  it('accepts an identical retry with the original seq; same id with different content is 409 ID_REUSED', async () => {
    const { url } = await start({ db: `${tmp.dir}/retry/cairn.db` })
    const e = ev('card:1', 1, { title: 'x' })
    const first = await post(`${url}/v1/spaces/s/push`, push([e]))
    const retry = await post(`${url}/v1/spaces/s/push`, push([e, ev('card:1', 2)]))
    expect(first.body.accepted).toEqual([{ id: e.id, seq: 1 }])
    expect(retry.status).toBe(200)
    expect(retry.body.accepted).toEqual([{ id: e.id, seq: 1 }, expect.objectContaining({ seq: 2 })])
    const reused = await post(`${url}/v1/spaces/s/push`, push([{ ...e, data: { title: 'changed' } }]))
    expect(reused.status).toBe(409)
    expect(reused.body).toMatchObject({ code: 'ID_REUSED', details: { ids: [e.id] } })
    expect(await pullAll(url, 's')).toHaveLength(2)
  })

  it('keeps seq exactly 1..N with 50 concurrent pushers into one space', async () => {
    const { url } = await start({ db: `${tmp.dir}/concurrent/cairn.db` })
    const accepted = new Map<string, number>()
    await Promise.all(
      Array.from({ length: 50 }, async (_, client) => {
        // each client pushes 4 batches of 5 events into its own stream, plus retries a batch once
        for (let batch = 0; batch < 4; batch++) {
          const events = Array.from({ length: 5 }, (_, i) => ev(`card:${client}`, batch * 5 + i + 1, { client }))
          const res = await post(`${url}/v1/spaces/busy/push`, push(events, `client-${client}`))
          expect(res.status).toBe(200)
          if (batch === 0)
            expect((await post(`${url}/v1/spaces/busy/push`, push(events))).body.accepted).toEqual(res.body.accepted)
          for (const a of res.body.accepted as { id: string; seq: number }[]) accepted.set(a.id, a.seq)
        }
      }),
    )
    const log = await pullAll(url, 'busy')
    expect(log.map((e) => e.seq)).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1))
    expect(new Set(log.map((e) => e.id)).size).toBe(1000)
    expect(accepted.size).toBe(1000)
    for (const e of log) expect(accepted.get(e.id)).toBe(e.seq)
    for (let client = 0; client < 50; client++)
      expect(log.filter((e) => e.stream === `card:${client}`).map((e) => e.version)).toEqual(
        Array.from({ length: 20 }, (_, i) => i + 1),
      )
  })

  it('keeps data and backendId across a restart (SQLite file)', async () => {
    const db = `${tmp.dir}/restart/nested/dir/cairn.db`
    const first = await start({ db })
    const events = [ev('card:1', 1), ev('card:1', 2)]
    await post(`${first.url}/v1/spaces/s/push`, push(events))
    const backendId = (await get(`${first.url}/healthz`)).body.backendId
    await first.close()
    const second = await start({ db })
    expect((await get(`${second.url}/healthz`)).body.backendId).toBe(backendId)
    const log = await pullAll(second.url, 's')
    expect(log).toEqual(events.map((e, i) => ({ ...e, seq: i + 1 })))
    expect((await post(`${second.url}/v1/spaces/s/push`, push([ev('card:1', 3)]))).body).toMatchObject({ head: 3 })
  })

  it('sends CORS headers on success, errors and preflight (origin allowed with corsOrigin)', async () => {
    const { url } = await start({ storage: createMemoryStorage(), corsOrigin: '*' })
    const preflight = await fetch(`${url}/v1/spaces/s/push`, {
      method: 'OPTIONS',
      headers: {
        Origin: 'https://app.example',
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'authorization,content-type',
      },
    })
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*')
    expect(preflight.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization')
    expect(preflight.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('content-type')
    // the core client still sends it (no longer read for limits)
    expect(preflight.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('x-cairn-client-id')
    const ok = await get(`${url}/v1/spaces/s/pull`, { Origin: 'https://app.example' })
    expect(ok.headers.get('access-control-allow-origin')).toBe('*')
    const bad = await post(`${url}/v1/spaces/s/push`, '{oops', { Origin: 'https://app.example' })
    expect(bad.status).toBe(400)
    expect(bad.headers.get('access-control-allow-origin')).toBe('*')
  })

  it('grants every origin by default when requests need a bearer token (not an ambient credential)', async () => {
    const { url } = await start({ storage: createMemoryStorage(), tokens: 't=s' })
    const res = await get(`${url}/v1/spaces/s/pull`, { Origin: 'https://app.example', Authorization: 'Bearer t' })
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
  })

  it('answers 422 through validateEvent and stores nothing of the batch', async () => {
    const { url } = await start({
      storage: createMemoryStorage(),
      validateEvent: (e: WireEvent) => {
        if (e.type !== 'CardAdded')
          return { ok: false, code: 'UNKNOWN_EVENT_TYPE', message: `unknown event type ${e.type}` }
        if (typeof e.data.title !== 'string')
          return {
            ok: false,
            code: 'INVALID_EVENT_DATA',
            message: 'title must be a string',
            issues: [{ path: ['title'] }],
          }
        return { ok: true }
      },
    })
    const good = { ...ev('card:1', 1, { title: 'ok' }), type: 'CardAdded' }
    const unknown = await post(`${url}/v1/spaces/s/push`, push([good, { ...ev('card:2', 1), type: 'Nope' }]))
    expect(unknown).toMatchObject({
      status: 422,
      body: {
        code: 'UNKNOWN_EVENT_TYPE',
        refused: [{ code: 'UNKNOWN_EVENT_TYPE', details: { index: 1, type: 'Nope' } }],
      },
    })
    const invalid = await post(
      `${url}/v1/spaces/s/push`,
      push([{ ...ev('card:1', 1, { title: 3 }), type: 'CardAdded' }]),
    )
    expect(invalid).toMatchObject({
      status: 422,
      body: {
        code: 'INVALID_EVENT_DATA',
        refused: [{ code: 'INVALID_EVENT_DATA', details: { index: 0, issues: [{ path: ['title'] }] } }],
      },
    })
    expect(await pullAll(url, 's')).toEqual([])
    expect((await post(`${url}/v1/spaces/s/push`, push([good]))).status).toBe(200)
  })

  it('answers 503 STORAGE_UNAVAILABLE when the storage fails, and keeps serving', async () => {
    const memory = createMemoryStorage()
    let broken = true
    const flaky: SyncStorage = {
      ...memory,
      description: 'flaky',
      append: (...args) => (broken ? Promise.reject(new Error('disk on fire')) : memory.append(...args)),
      read: (...args) => (broken ? Promise.reject(new Error('disk on fire')) : memory.read(...args)),
      head: (...args) => (broken ? Promise.reject(new Error('disk on fire')) : memory.head(...args)),
    }
    const { url } = await start({ storage: flaky, onError: () => {} })
    expect(await post(`${url}/v1/spaces/s/push`, push([ev('a:1', 1)]))).toMatchObject({
      status: 503,
      body: { code: 'STORAGE_UNAVAILABLE' },
    })
    expect((await get(`${url}/v1/spaces/s/pull`)).status).toBe(503)
    // healthz answers from memory; readyz asks the storage
    expect((await get(`${url}/healthz`)).status).toBe(200)
    expect(await get(`${url}/readyz`)).toMatchObject({ status: 503, body: { code: 'STORAGE_UNAVAILABLE' } })
    broken = false
    expect((await get(`${url}/readyz`)).status).toBe(200)
    expect((await post(`${url}/v1/spaces/s/push`, push([ev('a:1', 1)]))).status).toBe(200)
    expect((await get(`${url}/v1/spaces/s/pull`)).body.events as StoredWireEvent[]).toHaveLength(1)
  })
})
