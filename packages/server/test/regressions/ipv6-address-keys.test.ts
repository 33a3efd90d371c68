// Review (issue 15): anonymous limits and the failed-authentication limit key on the exact address string. An
// IPv6 client routinely owns a whole /64 (2^64 addresses): each new address gets a fresh bucket, so neither limit
// holds for it. (Shown through --trust-proxy, where the proxy writes the client's real address; without a proxy a
// server listening on `::` sees the same.) Expected: IPv6 addresses keyed by their /64 prefix (and IPv4-mapped
// IPv6 `::ffff:a.b.c.d` by the IPv4 address).
import { describe, expect, it } from 'vitest'
import { createSyncServer } from '../../src/app.js'
import { createMemoryStorage } from '../../src/storage/memory.js'

const count = (statuses: number[]) => {
  const c: Record<number, number> = {}
  for (const s of statuses) c[s] = (c[s] ?? 0) + 1
  return c
}

describe('review: IPv6 addresses of one /64', () => {
  it('failed authentications from one /64 are limited together', async () => {
    const sync = createSyncServer({
      storage: createMemoryStorage(),
      rateLimit: false,
      trustProxy: true,
      authorize: () => ({ ok: false, status: 401 }),
    })
    const statuses: number[] = []
    for (let i = 1; i <= 100; i++) {
      const res = await sync.fetch('http://cairn.test/v1/spaces/s/pull', {
        headers: { Authorization: `Bearer guess-${i}`, 'X-Forwarded-For': `2001:db8:1:2::${i.toString(16)}` },
      })
      statuses.push(res.status)
    }
    expect(count(statuses)[401], JSON.stringify(count(statuses))).toBeLessThanOrEqual(20)
  })

  it('anonymous requests from one /64 share one bucket', async () => {
    const sync = createSyncServer({
      storage: createMemoryStorage(),
      rateLimit: { ratePerSecond: 1, burst: 5 },
      trustProxy: true,
    })
    const statuses: number[] = []
    for (let i = 1; i <= 50; i++) {
      const res = await sync.fetch('http://cairn.test/v1/spaces/s/pull', {
        headers: { 'X-Forwarded-For': `2001:db8:1:2:${i.toString(16)}::1` },
      })
      statuses.push(res.status)
    }
    expect(count(statuses)[200], JSON.stringify(count(statuses))).toBeLessThanOrEqual(5)
  })

  it('an IPv4 address and its IPv4-mapped IPv6 spelling share one bucket', async () => {
    const sync = createSyncServer({
      storage: createMemoryStorage(),
      rateLimit: { ratePerSecond: 1, burst: 5 },
      trustProxy: true,
    })
    const spellings = [
      '203.0.113.7',
      '::ffff:203.0.113.7',
      '::FFFF:203.0.113.7',
      '::ffff:cb00:7107',
      '0:0:0:0:0:ffff:203.0.113.7',
    ]
    const statuses: number[] = []
    for (let round = 0; round < 4; round++)
      for (const address of spellings) {
        const res = await sync.fetch('http://cairn.test/v1/spaces/s/pull', { headers: { 'X-Forwarded-For': address } })
        statuses.push(res.status)
      }
    expect(count(statuses)[200], JSON.stringify(count(statuses))).toBeLessThanOrEqual(5)
  })
})
