import { createServer, type Server } from 'node:http'
import { exportJWK, exportSPKI, generateKeyPair, type JWTPayload, SignJWT } from 'jose'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { jwtAuthorizer } from '../src/jwt.js'
import { type RunningServer, type StartServerOptions, startServer } from '../src/start.js'
import { createMemoryStorage } from '../src/storage/memory.js'
import { get, openLive } from './helpers.js'

const SECRET = 'a-test-secret-of-at-least-32-bytes!!'
const running: RunningServer[] = []
const start = async (options: StartServerOptions) => {
  const server = await startServer({ port: 0, storage: createMemoryStorage(), rateLimit: false, ...options })
  running.push(server)
  return server
}
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()))
})

const hs256 = (claims: JWTPayload, { secret = SECRET, expires = '5m' } = {}) =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setExpirationTime(expires)
    .sign(new TextEncoder().encode(secret))
const pull = (url: string, space: string, token: string) =>
  get(`${url}/v1/spaces/${space}/pull`, { Authorization: `Bearer ${token}` })

describe('JWT bearer tokens (HS256)', () => {
  it.each([
    { name: 'a granted space', claims: { sub: 'ann', spaces: ['team-1'] }, space: 'team-1', status: 200 },
    { name: 'a space not granted', claims: { sub: 'ann', spaces: ['team-1'] }, space: 'team-2', status: 403 },
    { name: 'all spaces', claims: { sub: 'ann', spaces: '*' }, space: 'anything', status: 200 },
    {
      name: 'a space-separated spaces claim',
      claims: { sub: 'ann', spaces: 'team-1 team-2' },
      space: 'team-2',
      status: 200,
    },
    { name: 'no spaces claim', claims: { sub: 'ann' }, space: 'team-1', status: 403 },
    { name: 'no sub claim', claims: { spaces: ['team-1'] }, space: 'team-1', status: 401 },
    { name: 'the wrong issuer', claims: { sub: 'ann', spaces: ['team-1'], iss: 'evil' }, space: 'team-1', status: 401 },
  ])('$name → $status', async ({ claims, space, status }) => {
    const { url } = await start({ jwt: { secret: SECRET, issuer: 'https://idp.test' } })
    const token = await hs256({ iss: 'https://idp.test', ...claims })
    expect((await pull(url, space, token)).status).toBe(status)
  })

  it('refuses a token signed with another secret, an expired one, and a forged alg:none', async () => {
    const { url } = await start({ jwt: { secret: SECRET } })
    const claims = { sub: 'ann', spaces: ['s'] }
    expect((await pull(url, 's', await hs256(claims, { secret: 'another-secret-of-at-least-32-bytes!' }))).status).toBe(
      401,
    )
    const expired = await pull(url, 's', await hs256(claims, { expires: '-5m' }))
    expect(expired).toMatchObject({ status: 401, body: { message: 'token expired' } })
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.`
    expect((await pull(url, 's', none)).status).toBe(401)
  })

  it('accepts the token as ?token= on the live channel, and works beside static tokens', async () => {
    const { url } = await start({ jwt: { secret: SECRET }, tokens: 'service-token=ops:*' })
    const token = await hs256({ sub: 'ann', spaces: ['s'] })
    const live = await openLive(`${url}/v1/spaces/s/live?token=${token}`)
    expect(live.status).toBe(200)
    live.close()
    expect((await pull(url, 's', 'service-token')).status).toBe(200)
    expect((await pull(url, 's', 'not-a-token')).status).toBe(401)
  })

  it('rate-limits by the sub claim: two tokens of one user share a bucket', async () => {
    const { url } = await start({ jwt: { secret: SECRET }, rateLimit: { ratePerSecond: 1, burst: 2 }, now: () => 0 })
    const [a, b, other] = await Promise.all([
      hs256({ sub: 'ann', spaces: '*', jti: '1' }),
      hs256({ sub: 'ann', spaces: '*', jti: '2' }),
      hs256({ sub: 'bob', spaces: '*' }),
    ])
    expect([
      (await pull(url, 's', a)).status,
      (await pull(url, 's', b)).status,
      (await pull(url, 's', a)).status,
    ]).toEqual([200, 200, 429])
    expect((await pull(url, 's', other)).status).toBe(200)
  })

  it('refuses weak or ambiguous configurations', () => {
    expect(() => jwtAuthorizer({ secret: 'short' })).toThrow(/32 bytes/)
    expect(() => jwtAuthorizer({})).toThrow(/exactly one/)
    expect(() => jwtAuthorizer({ secret: SECRET, jwksUrl: 'http://x' })).toThrow(/exactly one/)
  })
})

describe('JWT bearer tokens (asymmetric)', () => {
  let jwks: Server
  let jwksUrl: string
  let es256: Awaited<ReturnType<typeof generateKeyPair>>
  beforeAll(async () => {
    es256 = await generateKeyPair('ES256')
    const jwk = { ...(await exportJWK(es256.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' }
    jwks = createServer((_, res) => {
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify({ keys: [jwk] }))
    })
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve))
    const address = jwks.address() as { port: number }
    jwksUrl = `http://127.0.0.1:${address.port}/.well-known/jwks.json`
  })
  afterAll(async () => {
    await new Promise((resolve) => jwks.close(resolve))
  })

  it('verifies against a JWKS URL (an identity provider), audience checked', async () => {
    const { url } = await start({ jwt: { jwksUrl, audience: 'cairn' } })
    const sign = (aud: string) =>
      new SignJWT({ sub: 'ann', spaces: ['s'] })
        .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
        .setAudience(aud)
        .setExpirationTime('5m')
        .sign(es256.privateKey)
    expect((await pull(url, 's', await sign('cairn'))).status).toBe(200)
    expect((await pull(url, 's', await sign('other-app'))).status).toBe(401)
  })

  it('verifies against a PEM public key (RS256)', async () => {
    const rsa = await generateKeyPair('RS256')
    const { url } = await start({ jwt: { publicKey: await exportSPKI(rsa.publicKey) } })
    const token = await new SignJWT({ sub: 'ann', spaces: ['s'] })
      .setProtectedHeader({ alg: 'RS256' })
      .setExpirationTime('5m')
      .sign(rsa.privateKey)
    expect((await pull(url, 's', token)).status).toBe(200)
    // an HS256 token made with the public key as secret (algorithm confusion) is refused
    const confused = await hs256({ sub: 'ann', spaces: ['s'] }, { secret: await exportSPKI(rsa.publicKey) })
    expect((await pull(url, 's', confused)).status).toBe(401)
  })
})
