import { describe, expect, it } from 'vitest'
import { startServer } from '../src/start.js'
import { createMemoryStorage } from '../src/storage/memory.js'
import type { SyncStorage } from '../src/storage/types.js'
import { ev, get, openLive, post, push, waitFor } from './helpers.js'

describe('graceful shutdown', () => {
  it('stops accepting, finishes in-flight requests, ends live streams, then closes storage', async () => {
    const memory = createMemoryStorage()
    let release!: () => void
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    let appendsStarted = 0
    let storageClosed = false
    const gated: SyncStorage = {
      ...memory,
      async append(...args) {
        appendsStarted += 1
        await gate
        return memory.append(...args)
      },
      async close() {
        storageClosed = true
        await memory.close()
      },
    }
    const server = await startServer({ port: 0, storage: gated, rateLimit: false })
    const liveClient = await openLive(`${server.url}/v1/spaces/s/live`)
    await waitFor(() => server.sync.liveConnections() === 1, 5000, 'live connection')
    const inFlight = post(`${server.url}/v1/spaces/s/push`, push([ev('card:1', 1)]))
    await waitFor(() => appendsStarted === 1, 5000, 'append to start')

    const closing = server.close()
    await liveClient.ended
    expect(server.sync.liveConnections()).toBe(0)
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow()
    expect(storageClosed).toBe(false)

    release()
    const res = await inFlight
    expect(res.status).toBe(200)
    expect(res.body.accepted).toEqual([{ id: expect.any(String), seq: 1 }])
    await closing
    expect(storageClosed).toBe(true)
    await server.close() // idempotent
  })

  it('closes promptly with idle keep-alive connections', async () => {
    const server = await startServer({ port: 0, storage: createMemoryStorage(), rateLimit: false })
    for (let i = 0; i < 3; i++) expect((await get(`${server.url}/healthz`)).status).toBe(200)
    await server.close()
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow()
  })
})
