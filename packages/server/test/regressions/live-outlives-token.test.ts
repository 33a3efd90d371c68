// Review (issue 15): a live stream is authorized once, when it opens. With JWT, a stream opened with a token that
// then expires keeps receiving every new event of the space for as long as the connection lasts (days): a
// revoked user (the IdP stops issuing the space) or a leaked `?token=` URL used once keeps reading. The README
// recommends short-lived JWTs for exactly this. Expected: end the stream when the token's `exp` passes (the
// client reconnects with a fresh token), or re-authorize periodically.
import { SignJWT } from 'jose'
import { afterEach, describe, expect, it } from 'vitest'
import { type RunningServer, startServer } from '../../src/start.js'
import { createMemoryStorage } from '../../src/storage/memory.js'
import { openLive, post, waitFor } from '../helpers.js'

const SECRET = 'a-test-secret-of-at-least-32-bytes!!'
const running: RunningServer[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()))
})
const token = (sub: string, expiresInSeconds: number) =>
  new SignJWT({ sub, spaces: ['s'] })
    .setProtectedHeader({ alg: 'HS256' })
    .setExpirationTime(Math.floor(Date.now() / 1000) + expiresInSeconds)
    .sign(new TextEncoder().encode(SECRET))

describe('review: a live stream and its token', () => {
  it('does not deliver events after its token expired', { timeout: 20_000 }, async () => {
    const server = await startServer({
      port: 0,
      storage: createMemoryStorage(),
      rateLimit: false,
      jwt: { secret: SECRET, clockToleranceSeconds: 0 },
    })
    running.push(server)
    const live = await openLive(`${server.url}/v1/spaces/s/live?token=${await token('eve', 2)}`)
    expect(live.status).toBe(200)
    await new Promise((r) => setTimeout(r, 3500)) // eve's token has expired
    const writer = { Authorization: `Bearer ${await token('ann', 300)}` }
    const event = {
      id: 'after-expiry',
      stream: 'card:1',
      version: 1,
      type: 'CardAdded',
      data: { secret: 'for ann only' },
    }
    expect((await post(`${server.url}/v1/spaces/s/push`, { clientId: 'c', events: [event] }, writer)).status).toBe(200)
    await waitFor(() => live.events().length > 0, 1000, 'delivery').catch(() => undefined)
    live.close()
    expect(live.events().map((e) => e.id)).toEqual([])
  })
})
