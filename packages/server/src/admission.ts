import type { SpaceCursor } from '@cairn/core/protocol'
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
  request: Request,
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
    result = await policy.authorize(request, space)
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

/** Counts one request against the request limiter; returns the key it counted under. */
function countRequest(policy: AdmissionPolicy, principal: string | undefined, address: string): string {
  const limitKey = principal === undefined ? `address:${address}` : `principal:${principal}`
  const decision = policy.limiter?.take(limitKey)
  if (decision && !decision.ok) throw tooMany('too many requests', decision.retryAfterSeconds)
  return limitKey
}

const admitted = (
  space: string,
  principal: string | undefined,
  limitKey: string,
  expiresAt: number | undefined,
): Admitted => (expiresAt === undefined ? { space, principal, limitKey } : { space, principal, limitKey, expiresAt })

/**
 * The prelude of every space route: an address that failed authentication too often is refused before its
 * credentials are even looked at (so tokens cannot be guessed), then the request is authenticated, then
 * rate-limited by its principal — or by its address when anonymous.
 */
export async function admit(c: Context, policy: AdmissionPolicy): Promise<Admitted> {
  const address = clientAddress(c, policy.trustProxy)
  const space = parseSpace(c.req.param('space') ?? '')
  const { principal, expiresAt } = await authenticate(c.req.raw, space, policy, address)
  return admitted(space, principal, countRequest(policy, principal, address), expiresAt)
}

/** A space of a multi-space request refused on its own (401, 403, or 429 once the address is blocked). */
export interface RefusedSpace {
  space: string
  error: SyncHttpError
}

/** Each space of a multi-space request, in the order asked: admitted, or refused. */
export type SpaceAdmission = ({ ok: true } & Admitted) | ({ ok: false } & RefusedSpace)

/** Outcome of {@link admitSpaces}. */
export interface SpacesAdmission {
  spaces: SpaceAdmission[]
  /** What the request counted against (`principal:<first admitted principal>`, or `address:<a>`). */
  limitKey: string
}

/** The request as the authorizer sees it for one space: with the space's own bearer token, when it has one. */
function requestFor(request: Request, token: string | undefined): Request {
  if (token === undefined) return request
  const headers = new Headers(request.headers)
  headers.set('authorization', `Bearer ${token}`)
  return new Request(request.url, { method: request.method, headers })
}

/**
 * The prelude of the multi-space routes (`POST /v1/pull`, `POST /v1/live`): {@link admit} for each space, one
 * after the other (each failed authentication counts against the address like a request of its own; in turn,
 * so concurrent checks cannot outrun the failure budget). A space refused (401, 403) is refused alone. Once the
 * address has no failure budget left, that space and the later ones are refused 429 unchecked — the whole
 * request when none was admitted. The request counts once against the request limiter, keyed on the first
 * admitted space's principal (its address when anonymous or when nothing was admitted).
 * @throws SyncHttpError 429 when the request limiter refuses, or the address is blocked before any space is admitted.
 */
export async function admitSpaces(
  c: Context,
  policy: AdmissionPolicy,
  cursors: readonly SpaceCursor[],
): Promise<SpacesAdmission> {
  const address = clientAddress(c, policy.trustProxy)
  const spaces: SpaceAdmission[] = []
  let limitKey: string | undefined
  let blocked: SyncHttpError | undefined
  for (const { space, token } of cursors) {
    if (blocked) {
      spaces.push({ ok: false, space, error: blocked })
      continue
    }
    let who: Awaited<ReturnType<typeof authenticate>>
    try {
      who = await authenticate(requestFor(c.req.raw, token), space, policy, address)
    } catch (error) {
      if (!(error instanceof SyncHttpError)) throw error
      if (error.code === 'RATE_LIMITED') blocked = error
      spaces.push({ ok: false, space, error })
      continue
    }
    // counted as soon as the principal is known: a rate-limited caller does not get the other spaces checked
    limitKey ??= countRequest(policy, who.principal, address)
    spaces.push({ ok: true, ...admitted(space, who.principal, limitKey, who.expiresAt) })
  }
  if (limitKey === undefined) {
    if (blocked) throw blocked
    limitKey = countRequest(policy, undefined, address)
  }
  return { spaces, limitKey }
}
