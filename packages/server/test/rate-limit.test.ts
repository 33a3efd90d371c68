import { afterEach, describe, expect, it } from 'vitest'
import { type RunningServer, type StartServerOptions, startServer } from '../src/start.js'
import { createMemoryStorage } from '../src/storage/memory.js'
import { get } from './helpers.js'

// The bypasses of issue 12: each got 1,000 requests through a burst of 100 with no 429.

const running: RunningServer[] = []
const start = async (options: StartServerOptions) => {
  const server = await startServer({ port: 0, storage: createMemoryStorage(), ...options })
  running.push(server)
  return server
}
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()))
})

const fixedClock = { now: () => 1_000_000 }
const statuses = async (count: number, request: (i: number) => Promise<{ status: number }>) => {
  const out: number[] = []
  for (let i = 0; i < count; i++) out.push((await request(i)).status)
  return out
}
const count = (list: number[], status: number) => list.filter((s) => s === status).length

describe('rate limiting cannot be bypassed', () => {
  it('rotating X-Cairn-Client-Id or ?clientId does not give an anonymous client a new bucket', async () => {
    const { url } = await start({ rateLimit: { ratePerSecond: 1, burst: 5 }, ...fixedClock })
    const results = await statuses(30, (i) =>
      i % 2 === 0
        ? get(`${url}/v1/spaces/s/pull`, { 'X-Cairn-Client-Id': `client-${i}` })
        : get(`${url}/v1/spaces/s/pull?clientId=client-${i}`),
    )
    expect(count(results, 200)).toBe(5)
    expect(count(results, 429)).toBe(25)
  })

  it('rewriting the whitespace of the Authorization header does not give a token holder a new bucket', async () => {
    const { url } = await start({ tokens: 'secret=s', rateLimit: { ratePerSecond: 1, burst: 5 }, ...fixedClock })
    const spellings = [
      'Bearer secret',
      'Bearer  secret',
      'bearer secret',
      'Bearer\tsecret',
      'Bearer secret ',
      'BEARER   secret',
    ]
    const results = await statuses(30, (i) =>
      get(`${url}/v1/spaces/s/pull`, { Authorization: spellings[i % spellings.length]! }),
    )
    expect(count(results, 200)).toBe(5)
    expect(count(results, 429)).toBe(25)
  })

  it('guessing tokens is limited per address, and a blocked address is refused before its token is checked', async () => {
    const { url } = await start({
      tokens: 'secret=s',
      rateLimit: false,
      authFailureLimit: { ratePerSecond: 0.1, burst: 10 },
      trustProxy: true,
      ...fixedClock,
    })
    const from = (address: string, token: string) =>
      get(`${url}/v1/spaces/s/pull`, { Authorization: `Bearer ${token}`, 'X-Forwarded-For': address })
    const guesses = await statuses(50, (i) => from('203.0.113.7', `guess-${i}`))
    expect(count(guesses, 401)).toBe(10)
    expect(count(guesses, 429)).toBe(40)
    // even the right token: a guesser must not learn when it found one
    expect((await from('203.0.113.7', 'secret')).status).toBe(429)
    // other addresses are not affected
    expect((await from('198.51.100.1', 'secret')).status).toBe(200)
    expect((await from('198.51.100.1', 'wrong')).status).toBe(401)
  })

  it('a principal probing spaces it lacks (403) is limited per address too', async () => {
    const { url } = await start({
      tokens: 'secret=team-1',
      rateLimit: false,
      authFailureLimit: { ratePerSecond: 0.1, burst: 5 },
      ...fixedClock,
    })
    const probes = await statuses(20, (i) =>
      get(`${url}/v1/spaces/other-${i}/pull`, { Authorization: 'Bearer secret' }),
    )
    expect(count(probes, 403)).toBe(5)
    expect(count(probes, 429)).toBe(15)
  })

  it('keys on AuthResult.principal: tokens of one principal share a bucket, other principals keep theirs', async () => {
    const { url } = await start({
      rateLimit: { ratePerSecond: 1, burst: 3 },
      ...fixedClock,
      authorize: (request) => {
        const session = request.headers.get('x-session') ?? ''
        // several sessions of one user: the user is the principal
        const user = session.split('.')[0]
        return user ? { ok: true, principal: user } : { ok: false, status: 401 }
      },
    })
    const as = (session: string) => get(`${url}/v1/spaces/s/pull`, { 'x-session': session })
    const ann = await statuses(6, (i) => as(`ann.session-${i}`))
    expect(count(ann, 200)).toBe(3)
    expect((await as('bob.session-1')).status).toBe(200)
  })

  it('anonymous clients are keyed on their address (from X-Forwarded-For only behind a trusted proxy)', async () => {
    const trusted = await start({ rateLimit: { ratePerSecond: 1, burst: 2 }, trustProxy: true, ...fixedClock })
    const via = (server: RunningServer, address: string) =>
      get(`${server.url}/v1/spaces/s/pull`, { 'X-Forwarded-For': `10.0.0.1, ${address}` })
    expect(await statuses(3, () => via(trusted, '192.0.2.1'))).toEqual([200, 200, 429])
    expect((await via(trusted, '192.0.2.2')).status).toBe(200)
    // not trusted: the header is the client's to choose and is ignored
    const direct = await start({ rateLimit: { ratePerSecond: 1, burst: 2 }, ...fixedClock })
    expect(await statuses(3, (i) => via(direct, `192.0.2.${i}`))).toEqual([200, 200, 429])
  })
})
