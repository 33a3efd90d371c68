import { afterAll, describe, expect, it } from 'vitest'
import { type RunningServer, startServer } from '../src/start.js'
import { dropPostgresSchema } from '../src/storage/postgres.js'
import { ev, get, type LiveClient, openLive, PG_URL, post, pullAll, push, uniqueSchema, waitFor } from './helpers.js'

const schema = uniqueSchema('cluster')
const running: RunningServer[] = []
const clients: LiveClient[] = []

afterAll(async () => {
  for (const c of clients) c.close()
  await Promise.all(running.map((s) => s.close()))
  await dropPostgresSchema(PG_URL, schema)
})

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i)

describe('two server instances on one PostgreSQL', { timeout: 30_000 }, () => {
  it('share the log and backendId, stay gapless, and fan live events out to both (LISTEN/NOTIFY)', async () => {
    const [a, b] = await Promise.all(
      [0, 1].map(() => startServer({ port: 0, databaseUrl: PG_URL, pgSchema: schema, rateLimit: false })),
    )
    running.push(a!, b!)
    const urls = [a!.url, b!.url]
    const idA = (await get(`${urls[0]}/healthz`)).body.backendId
    expect((await get(`${urls[1]}/healthz`)).body.backendId).toBe(idA)

    const liveA = await openLive(`${urls[0]}/v1/spaces/team/live`)
    const liveB = await openLive(`${urls[1]}/v1/spaces/team/live`)
    clients.push(liveA, liveB)
    await waitFor(() => liveA.messages.length > 0 && liveB.messages.length > 0, 5000, 'both ready')

    // one event through B reaches the client connected to A
    const first = ev('card:0', 1)
    expect((await post(`${urls[1]}/v1/spaces/team/push`, push([first]))).status).toBe(200)
    await waitFor(() => liveA.events().length === 1, 5000, 'event pushed via B to reach A')
    expect(liveA.events()[0]).toMatchObject({ id: first.id, seq: 1 })

    // 20 concurrent pushers, alternating instances
    await Promise.all(
      range(1, 20).map(async (p) => {
        for (let v = 1; v <= 10; v += 2) {
          const res = await post(
            `${urls[p % 2]}/v1/spaces/team/push`,
            push([ev(`card:${p}`, v), ev(`card:${p}`, v + 1)]),
          )
          expect(res.status).toBe(200)
        }
      }),
    )
    const total = 1 + 20 * 10
    const log = await pullAll(urls[0]!, 'team')
    expect(log.map((e) => e.seq)).toEqual(range(1, total))
    expect(new Set(log.map((e) => e.id)).size).toBe(total)
    expect(await pullAll(urls[1]!, 'team')).toEqual(log)
    for (const client of [liveA, liveB]) {
      await waitFor(() => client.events().length >= total, 10_000, 'live clients to see every event')
      expect(client.events().map((e) => e.seq)).toEqual(range(1, total))
    }

    // a conflict decided across instances
    const conflict = await post(`${urls[0]}/v1/spaces/team/push`, push([ev('card:1', 3)]))
    expect(conflict).toMatchObject({
      status: 409,
      body: { code: 'CONFLICT', streams: [{ stream: 'card:1', expected: 11, actual: 3 }] },
    })
  })
})
