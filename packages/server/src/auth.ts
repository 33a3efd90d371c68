/** What an {@link Authorizer} answers: `true` grants, `false` forbids (403), or a richer result. */
export type AuthResult =
  | boolean
  | { ok: true /** Identity used as the rate-limit key (e.g. a user id). */; principal?: string }
  | { ok: false; status: 401 | 403; message?: string }

/**
 * Decides whether a request may use a space. Plug your own (JWT, sessions...) into `createSyncServer`.
 * For the live channel (`EventSource` cannot send headers) the token may come as `?token=`.
 */
export type Authorizer = (request: Request, space: string) => AuthResult | Promise<AuthResult>

/** Token → granted spaces (`'*'` grants all). */
export type TokenGrants = ReadonlyMap<string, ReadonlySet<string>>

/**
 * Parses `token=space1,space2;token2=space3` (`*` means all spaces).
 * @throws Error with a readable message on a malformed spec.
 */
export function parseTokens(spec: string): TokenGrants {
  const grants = new Map<string, Set<string>>()
  for (const part of spec.split(';')) {
    const entry = part.trim()
    if (entry === '') continue
    const eq = entry.indexOf('=')
    if (eq <= 0) throw new Error(`invalid token entry "${entry}": expected token=space1,space2`)
    const token = entry.slice(0, eq).trim()
    const spaces = entry
      .slice(eq + 1)
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '')
    if (token === '' || spaces.length === 0)
      throw new Error(`invalid token entry "${entry}": expected token=space1,space2`)
    for (const space of spaces)
      if (space !== '*' && !/^[A-Za-z0-9_-]{1,64}$/.test(space)) throw new Error(`invalid space "${space}" for a token`)
    const set = grants.get(token) ?? new Set<string>()
    for (const space of spaces) set.add(space)
    grants.set(token, set)
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

const isLiveRequest = (request: Request) => new URL(request.url).pathname.endsWith('/live')

/** An {@link Authorizer} for static bearer tokens (`--tokens`, `CAIRN_TOKENS`). */
export function tokenAuthorizer(grants: TokenGrants): Authorizer {
  return (request, space) => {
    const token = requestToken(request, isLiveRequest(request))
    if (token === undefined) return { ok: false, status: 401, message: 'missing bearer token' }
    const spaces = grants.get(token)
    if (!spaces) return { ok: false, status: 401, message: 'invalid token' }
    if (!spaces.has('*') && !spaces.has(space))
      return { ok: false, status: 403, message: `token does not grant space ${space}` }
    return { ok: true, principal: `token:${token}` }
  }
}
