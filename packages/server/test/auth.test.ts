import { afterEach, describe, expect, it } from 'vitest'
import { anonymousTokenPrincipal, parseTokens, tokenAuthorizer } from '../src/auth.js'
import { type RunningServer, type StartServerOptions, startServer } from '../src/start.js'
import { createMemoryStorage } from '../src/storage/memory.js'
import { ev, get, openLive, post, push, waitFor } from './helpers.js'

const running: RunningServer[] = []
const start = async (options: StartServerOptions) => {
  const server = await startServer({ port: 0, storage: createMemoryStorage(), ...options })
  running.push(server)
  return server
}
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()))
})

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` })

describe('token auth', () => {
  it('parses token specs and rejects malformed ones', () => {
    const grants = parseTokens(' alpha=team-1,team-2 ; root=* ;')
    expect([...grants.get('alpha')!.spaces]).toEqual(['team-1', 'team-2'])
    expect([...grants.get('root')!.spaces]).toEqual(['*'])
    expect(() => parseTokens('nospaces')).toThrow(/token=space1/)
    expect(() => parseTokens('=team')).toThrow()
    expect(() => parseTokens('t=bad space')).toThrow(/invalid space/)
    expect(() => parseTokens(';;')).toThrow(/no tokens/)
  })

  it('answers 401 without or with an unknown token and 403 for a space the token does not grant', async () => {
    const { url } = await start({ tokens: 'alpha=team-1;root=*', rateLimit: false })
    const body = push([ev('card:1', 1)])
    expect(await post(`${url}/v1/spaces/team-1/push`, body)).toMatchObject({
      status: 401,
      body: { code: 'UNAUTHORIZED' },
    })
    expect(await post(`${url}/v1/spaces/team-1/push`, body, bearer('nope'))).toMatchObject({
      status: 401,
      body: { code: 'UNAUTHORIZED' },
    })
    expect(await post(`${url}/v1/spaces/team-1/push`, body, { Authorization: 'Basic abc' })).toMatchObject({
      status: 401,
    })
    expect(await post(`${url}/v1/spaces/team-2/push`, body, bearer('alpha'))).toMatchObject({
      status: 403,
      body: { code: 'FORBIDDEN' },
    })
    expect(await get(`${url}/v1/spaces/team-2/pull`, bearer('alpha'))).toMatchObject({ status: 403 })
    expect(await get(`${url}/v1/spaces/team-1/pull?token=alpha`)).toMatchObject({ status: 401 })
    expect((await post(`${url}/v1/spaces/team-1/push`, body, bearer('alpha'))).status).toBe(200)
    expect((await get(`${url}/v1/spaces/team-1/pull`, bearer('alpha'))).body.events).toHaveLength(1)
    expect((await get(`${url}/v1/spaces/anything/pull`, bearer('root'))).status).toBe(200)
    expect((await get(`${url}/healthz`)).status).toBe(200)
  })

  it('accepts ?token= on the live channel (EventSource cannot set headers)', async () => {
    const { url } = await start({ tokens: 'alpha=team-1', rateLimit: false })
    const denied = await openLive(`${url}/v1/spaces/team-1/live`)
    expect(denied.status).toBe(401)
    const forbidden = await openLive(`${url}/v1/spaces/team-2/live?token=alpha`)
    expect(forbidden.status).toBe(403)
    const live = await openLive(`${url}/v1/spaces/team-1/live?token=alpha`)
    expect(live.status).toBe(200)
    await post(`${url}/v1/spaces/team-1/push`, push([ev('card:1', 1)]), bearer('alpha'))
    await waitFor(() => live.events().length === 1, 5000, 'live event')
    live.close()
  })

  it('calls a custom authorize hook with the request and space', async () => {
    const seen: string[] = []
    const { url } = await start({
      rateLimit: false,
      authorize: (request, space) => {
        seen.push(space)
        const user = request.headers.get('x-user')
        if (!user) return { ok: false, status: 401, message: 'who are you?' }
        return space === `u-${user}` ? { ok: true, principal: user } : false
      },
    })
    expect(await get(`${url}/v1/spaces/u-ann/pull`)).toMatchObject({ status: 401, body: { message: 'who are you?' } })
    expect((await get(`${url}/v1/spaces/u-ann/pull`, { 'x-user': 'bob' })).status).toBe(403)
    expect((await get(`${url}/v1/spaces/u-ann/pull`, { 'x-user': 'ann' })).status).toBe(200)
    expect(seen).toEqual(['u-ann', 'u-ann', 'u-ann'])
  })

  it('tokenAuthorizer works without HTTP', async () => {
    const authorize = tokenAuthorizer(parseTokens('t=a'))
    expect(await authorize(new Request('http://x/v1/spaces/a/pull', { headers: bearer('t') }), 'a')).toEqual({
      ok: true,
      principal: anonymousTokenPrincipal('t'),
    })
    expect(anonymousTokenPrincipal('t')).not.toContain('t:t')
  })
})

describe('rate limiting', () => {
  it('answers 429 with Retry-After once a principal exhausts its bucket; other principals keep theirs; refills over time', async () => {
    let now = 1_000_000
    const { url } = await start({
      tokens: 'a1=ann:s;a2=ann:s;b=bob:s',
      rateLimit: { ratePerSecond: 1, burst: 3 },
      now: () => now,
    })
    const pull = (token: string) => get(`${url}/v1/spaces/s/pull`, bearer(token))
    for (let i = 0; i < 3; i++) expect((await pull('a1')).status).toBe(200)
    const limited = await pull('a1')
    expect(limited.status).toBe(429)
    expect(limited.body.code).toBe('RATE_LIMITED')
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
    expect(limited.headers.get('access-control-allow-origin')).toBe('*')
    // another token of the same principal shares the bucket; another principal has its own
    expect((await pull('a2')).status).toBe(429)
    expect((await pull('b')).status).toBe(200)
    now += 1000
    expect((await pull('a1')).status).toBe(200)
    expect((await pull('a1')).status).toBe(429)
  })
})
