import type { Context } from 'hono'
import type { Authorizer, AuthResult } from './auth.js'
import { clientAddress } from './client-address.js'
import { SyncHttpError } from './errors.js'
import type { RateLimiter } from './rate-limit.js'
import { parseSpace } from './validate.js'

/** Who a request is, once admitted to a space. */
export interface Admitted {
  space: string
  /** The authenticated principal, undefined when anonymous. */
  principal: string | undefined
  /** What limits count against: `principal:<p>`, or `address:<a>` when anonymous. Never a client-chosen value. */
  limitKey: string
  /** When the credential expires (ms since the epoch), if the authorizer said. */
  expiresAt?: number
}

/** The parts {@link admit} needs. */
export interface AdmissionPolicy {
  authorize: Authorizer | undefined
  /** Requests per principal (or anonymous address). */
  limiter: RateLimiter | undefined
  /** Failed authentications and authorizations (401, 403) per address. */
  authFailures: RateLimiter | undefined
  trustProxy: boolean
}

const tooMany = (message: string, retryAfterSeconds: number) =>
  new SyncHttpError('RATE_LIMITED', message, { headers: { 'Retry-After': String(retryAfterSeconds) } })

async function authenticate(
  c: Context,
  space: string,
  policy: AdmissionPolicy,
  address: string,
): Promise<{ principal?: string | undefined; expiresAt?: number | undefined }> {
  if (!policy.authorize) return {}
  // A failure token is taken BEFORE the (possibly slow, async) check and given back on success: peeking first
  // and taking after a refusal let every guess sent while earlier ones were being checked pass the peek.
  const taken = policy.authFailures?.take(address)
  if (taken && !taken.ok) throw tooMany('too many failed authentications', taken.retryAfterSeconds)
  let result: AuthResult
  try {
    result = await policy.authorize(c.req.raw, space)
  } catch (error) {
    // not the client's failure (a session store down): it does not count against the address
    if (taken) policy.authFailures?.refund(address)
    throw error
  }
  const succeeded = result === true || (typeof result === 'object' && result.ok)
  if (succeeded && taken) policy.authFailures?.refund(address)
  if (result === true) return {}
  if (typeof result === 'object' && result.ok) return { principal: result.principal, expiresAt: result.expiresAt }
  // a 401 may be a guess; a 403 has no principal to rate-limit: both count against the address (the token
  // taken above stays taken)
  const status = result === false ? 403 : result.status
  const message = result === false ? undefined : result.message
  throw new SyncHttpError(
    status === 401 ? 'UNAUTHORIZED' : 'FORBIDDEN',
    message ?? (status === 401 ? 'unauthorized' : `no access to space ${space}`),
  )
}

/**
 * The prelude of every space route: an address that failed authentication too often is refused before its
 * credentials are even looked at (so tokens cannot be guessed), then the request is authenticated, then
 * rate-limited by its principal — or by its address when anonymous.
 */
export async function admit(c: Context, policy: AdmissionPolicy): Promise<Admitted> {
  const address = clientAddress(c, policy.trustProxy)
  const space = parseSpace(c.req.param('space') ?? '')
  const { principal, expiresAt } = await authenticate(c, space, policy, address)
  const limitKey = principal === undefined ? `address:${address}` : `principal:${principal}`
  const decision = policy.limiter?.take(limitKey)
  if (decision && !decision.ok) throw tooMany('too many requests', decision.retryAfterSeconds)
  return expiresAt === undefined ? { space, principal, limitKey } : { space, principal, limitKey, expiresAt }
}
