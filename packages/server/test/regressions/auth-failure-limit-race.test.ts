// Review (issue 15): the failed-authentication limit is check-then-act across an await. `admit` only *peeks* at the
// address's bucket, then awaits the authorizer, and takes a token only when the answer is a refusal. Every guess
// that arrives while earlier ones are still being verified passes the peek, so a guesser that sends its guesses
// concurrently is never held to the burst of 20: with an async authorizer (a session store, JWT verification
// through WebCrypto) 200 concurrent guesses all get checked (200 × 401, 0 × 429).
import { SignJWT } from 'jose'
import { describe, expect, it } from 'vitest'
import { createSyncServer } from '../../src/app.js'
import { jwtAuthorizer } from '../../src/jwt.js'
import { createMemoryStorage } from '../../src/storage/memory.js'

const GUESSES = 200
const BURST = 20 // DEFAULT_AUTH_FAILURE_LIMIT

const statuses = async (sync: ReturnType<typeof createSyncServer>, token: (i: number) => string) => {
  const answers = await Promise.all(
    Array.from({ length: GUESSES }, (_, i) =>
      sync.fetch('http://cairn.test/v1/spaces/s/pull', { headers: { Authorization: `Bearer ${token(i)}` } }),
    ),
  )
  const count: Record<number, number> = {}
  for (const a of answers) count[a.status] = (count[a.status] ?? 0) + 1
  return count
}

describe('review: concurrent failed authentications', () => {
  it('an async authorizer (e.g. a session lookup): at most the burst of guesses is checked', async () => {
    let checked = 0
    const sync = createSyncServer({
      storage: createMemoryStorage(),
      rateLimit: false,
      authorize: async () => {
        checked += 1
        await new Promise((r) => setTimeout(r, 20))
        return { ok: false, status: 401 }
      },
    })
    const count = await statuses(sync, (i) => `guess-${i}`)
    expect(checked, JSON.stringify(count)).toBeLessThanOrEqual(BURST)
    expect(count[429] ?? 0).toBeGreaterThanOrEqual(GUESSES - BURST)
  })

  it('JWT: forged tokens verified concurrently are not held to the burst either', async () => {
    const secret = 'a-test-secret-of-at-least-32-bytes!!'
    const forged = await new SignJWT({ sub: 'admin', spaces: '*' })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode('another-secret-of-at-least-32-bytes!'))
    const sync = createSyncServer({
      storage: createMemoryStorage(),
      rateLimit: false,
      authorize: jwtAuthorizer({ secret }),
    })
    const count = await statuses(sync, () => forged)
    expect(count[401] ?? 0, JSON.stringify(count)).toBeLessThanOrEqual(BURST)
  })
})
