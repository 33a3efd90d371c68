import { hashKey } from './rate-limit.js'

/**
 * What an {@link Authorizer} answers: `true` grants (anonymously: limits then key on the address), `false`
 * forbids (403), `{ ok: true, principal }` grants as that principal, `{ ok: false, status }` refuses.
 */
export type AuthResult =
  | boolean
  | {
      ok: true
      /**
       * Who is asking (e.g. a user id): the key of the rate limit and of the live-stream cap, and what
       * `authorizeEvent` receives. Without one the request is treated as anonymous (keyed by address).
       */
      principal?: string
      /**
       * When the credential stops being valid, in ms since the epoch (a JWT's `exp`). A live stream opened with
       * it is ended then: it was authorized once, at open, and must not outlive its credential.
       */
      expiresAt?: number
    }
  | { ok: false; status: 401 | 403; message?: string }

/**
 * Decides whether a request may use a space. Plug your own (sessions...) into `createSyncServer`, or use
 * {@link tokenAuthorizer} / `jwtAuthorizer`. For the live channel (`EventSource` cannot send headers) the
 * token may come as `?token=`. A 401 or 403 counts as a failed authentication of the request's address.
 */
export type Authorizer = (request: Request, space: string) => AuthResult | Promise<AuthResult>

/** What one static token grants: who it is and which spaces (`'*'` = all). */
export interface TokenGrant {
  readonly principal: string
  readonly spaces: ReadonlySet<string>
}

/** Token → its grant. */
export type TokenGrants = ReadonlyMap<string, TokenGrant>

const SPACE = /^[A-Za-z0-9_-]{1,64}$/
const PRINCIPAL = /^[A-Za-z0-9_.@+-]{1,128}$/

/** The principal of a token declared without one: derived from a hash, so logs and hooks never see the token. */
export const anonymousTokenPrincipal = (token: string): string => `token:${hashKey(token).slice(0, 12)}`

const invalid = (entry: string) =>
  new Error(`invalid token entry "${entry}": expected token=space1,space2 or token=principal:space1,space2`)

function parseEntry(entry: string): [token: string, principal: string | undefined, spaces: string[]] {
  const eq = entry.indexOf('=')
  if (eq <= 0) throw invalid(entry)
  const token = entry.slice(0, eq).trim()
  let grant = entry.slice(eq + 1).trim()
  let principal: string | undefined
  // space names cannot hold ':', so a colon on the right side always ends a principal
  const colon = grant.indexOf(':')
  if (colon >= 0) {
    principal = grant.slice(0, colon).trim()
    grant = grant.slice(colon + 1)
    if (!PRINCIPAL.test(principal)) throw new Error(`invalid principal "${principal}": expected ${PRINCIPAL.source}`)
  }
  const spaces = grant
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
  if (token === '' || spaces.length === 0) throw invalid(entry)
  for (const space of spaces)
    if (space !== '*' && !SPACE.test(space)) throw new Error(`invalid space "${space}" for a token`)
  return [token, principal, spaces]
}

/**
 * Parses `token=space1,space2;token2=alice:space3;token3=admin:*` (`*` means all spaces). A token may name
 * its principal before a colon; without one its principal is derived from the token's hash.
 * @throws Error with a readable message on a malformed spec.
 */
export function parseTokens(spec: string): TokenGrants {
  const grants = new Map<string, { principal: string; spaces: Set<string> }>()
  for (const part of spec.split(';')) {
    const entry = part.trim()
    if (entry === '') continue
    const [token, principal, spaces] = parseEntry(entry)
    const known = grants.get(token)
    if (known && principal !== undefined && known.principal !== principal)
      throw new Error(`token listed twice with different principals (${known.principal}, ${principal})`)
    const grant = known ?? { principal: principal ?? anonymousTokenPrincipal(token), spaces: new Set<string>() }
    for (const space of spaces) grant.spaces.add(space)
    grants.set(token, grant)
  }
  if (grants.size === 0) throw new Error('no tokens in the token list')
  return grants
}

/** The bearer token of a request (`Authorization: Bearer <token>`), or `?token=` when `allowQuery`. */
export function requestToken(request: Request, allowQuery: boolean): string | undefined {
  const header = request.headers.get('authorization')
  if (header) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header)
    return match?.[1]
  }
  if (!allowQuery) return undefined
  const token = new URL(request.url).searchParams.get('token')
  return token === null || token === '' ? undefined : token
}

/**
 * Whether a request is for a space's live channel (`/v1/spaces/:space/live`), the one route that may carry its
 * token as `?token=` (`EventSource` cannot send headers). Not the multi-space `POST /v1/live`: it is fetched,
 * its tokens travel in headers or in its body, never in a URL that logs keep.
 */
export const isLiveRequest = (request: Request): boolean => /\/spaces\/[^/]+\/live$/.test(new URL(request.url).pathname)

/** An {@link Authorizer} for static bearer tokens (`--tokens`, `CAIRN_TOKENS`). */
export function tokenAuthorizer(grants: TokenGrants): Authorizer {
  return (request, space) => {
    const token = requestToken(request, isLiveRequest(request))
    if (token === undefined) return { ok: false, status: 401, message: 'missing bearer token' }
    const grant = grants.get(token)
    if (!grant) return { ok: false, status: 401, message: 'invalid token' }
    if (!grant.spaces.has('*') && !grant.spaces.has(space))
      return { ok: false, status: 403, message: `token does not grant space ${space}` }
    return { ok: true, principal: grant.principal }
  }
}

/**
 * Tries `first`, and `second` when `first` does not know the request (answers 401): e.g. static service
 * tokens first, then user JWTs.
 */
export function eitherAuthorizer(first: Authorizer, second: Authorizer): Authorizer {
  return async (request, space) => {
    const result = await first(request, space)
    if (typeof result === 'object' && !result.ok && result.status === 401) return second(request, space)
    return result
  }
}
