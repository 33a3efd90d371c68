// Review (issue 15): JWT edge cases. The README says tokens are verified for "exp/nbf"; jose only checks `exp`
// when present, so a token without `exp` is a credential that never expires (and it travels in `?token=` query
// strings on the live channel). Expected: `exp` required (jose `requiredClaims: ['exp']`).
import { SignJWT } from 'jose'
import { describe, expect, it } from 'vitest'
import { createSyncServer } from '../../src/app.js'
import { jwtAuthorizer } from '../../src/jwt.js'
import { createMemoryStorage } from '../../src/storage/memory.js'

const SECRET = 'a-test-secret-of-at-least-32-bytes!!'

describe('review: JWT without exp', () => {
  it('a token without exp is refused', async () => {
    const sync = createSyncServer({
      storage: createMemoryStorage(),
      rateLimit: false,
      authorize: jwtAuthorizer({ secret: SECRET }),
    })
    const forever = await new SignJWT({ sub: 'ann', spaces: ['s'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuedAt()
      .sign(new TextEncoder().encode(SECRET))
    const res = await sync.fetch('http://cairn.test/v1/spaces/s/pull', {
      headers: { Authorization: `Bearer ${forever}` },
    })
    expect(res.status).toBe(401)
  })
})
