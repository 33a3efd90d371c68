import { Agent, request as httpRequest } from 'node:http'
import { connect } from 'node:net'
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

/** A gated memory storage: appends wait for `release()`. */
function gatedStorage() {
  const memory = createMemoryStorage()
  let release!: () => void
  const gate = new Promise<void>((resolve) => {
    release = resolve
  })
  let started = 0
  const storage: SyncStorage = {
    ...memory,
    async append(...args) {
      started += 1
      await gate
      return memory.append(...args)
    },
  }
  return { storage, release, started: () => started }
}

describe('shutdown and keep-alive clients', () => {
  it('answers a request in flight on a keep-alive connection with Connection: close', async () => {
    const gated = gatedStorage()
    const server = await startServer({ port: 0, storage: gated.storage, rateLimit: false })
    const agent = new Agent({ keepAlive: true })
    const { port } = new URL(server.url)
    const body = JSON.stringify(push([ev('card:1', 1)]))
    const answer = new Promise<{ status: number; connection: string | undefined }>((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port,
          path: '/v1/spaces/s/push',
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json' },
        },
        (res) => {
          res.resume()
          res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection }))
        },
      )
      req.on('error', reject)
      req.end(body)
    })
    await waitFor(() => gated.started() === 1, 5000, 'append to start')
    const closing = server.close()
    gated.release()
    expect(await answer).toEqual({ status: 200, connection: 'close' })
    await closing
    agent.destroy()
  })
})

describe('aborted uploads', () => {
  it('are not reported as internal errors', async () => {
    const reported: unknown[] = []
    const server = await startServer({
      port: 0,
      storage: createMemoryStorage(),
      rateLimit: false,
      onError: (e) => reported.push(e),
    })
    const { port } = new URL(server.url)
    for (let i = 0; i < 5; i++) {
      const socket = connect(Number(port), '127.0.0.1')
      socket.on('error', () => {})
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()))
      socket.write(
        'POST /v1/spaces/s/push HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"clientId":"c","events":[',
      )
      await new Promise((resolve) => setTimeout(resolve, 50))
      socket.destroy()
    }
    // still serving, and give the server time to notice the aborts
    await waitFor(async () => (await get(`${server.url}/healthz`)).status === 200, 5000, 'health')
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(reported).toEqual([])
    await server.close()
  })
})
