// Review (issue 15): the README says a web page on another origin can neither read an open server's answers nor
// push to it. An open server accepts any Host header, so a page whose DNS name is rebound to 127.0.0.1
// (DNS rebinding) is same-origin with the server: no CORS is involved and it reads and writes every space.
// Dev servers (Vite `server.allowedHosts`, webpack-dev-server) refuse unknown Host headers for this reason.
// Expected: an open server answers only Host values naming a loopback or the bound address (or an allow-list).
import { request } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { type RunningServer, startServer } from '../../src/start.js'
import { createMemoryStorage } from '../../src/storage/memory.js'

const running: RunningServer[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()))
})

const send = (port: number, method: string, path: string, host: string, body?: string) =>
  new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        headers: { Host: host, ...(body ? { 'content-type': 'application/json' } : {}) },
      },
      (res) => {
        let text = ''
        res.on('data', (d) => {
          text += d
        })
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }))
      },
    )
    req.on('error', reject)
    req.end(body)
  })

describe('review: open server and DNS rebinding', () => {
  it('refuses requests whose Host is a foreign name (a rebound DNS name)', async () => {
    const server = await startServer({ port: 0, storage: createMemoryStorage(), rateLimit: false })
    running.push(server)
    const host = `attacker.example:${server.port}`
    const body = JSON.stringify({
      clientId: 'page',
      events: [{ id: 'from-evil-page', stream: 'card:1', version: 1, type: 'CardAdded', data: { title: 'pwned' } }],
    })
    const pushed = await send(server.port, 'POST', '/v1/spaces/team-1/push', host, body)
    const pulled = await send(server.port, 'GET', '/v1/spaces/team-1/pull', host)
    expect({ push: pushed.status, pull: pulled.status }).toEqual({ push: 403, pull: 403 })
    // a local name still works
    expect((await send(server.port, 'GET', '/v1/spaces/team-1/pull', `127.0.0.1:${server.port}`)).status).toBe(200)
  })
})
