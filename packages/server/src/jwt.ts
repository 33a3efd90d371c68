import { type CryptoKey, createRemoteJWKSet, importSPKI, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from 'jose'
import { type Authorizer, isLiveRequest, requestToken } from './auth.js'

/**
 * How to verify JWT bearer tokens (`jose`). Give exactly one key source: `secret` (HS256), `jwksUrl` (keys of
 * your identity provider, fetched and cached) or `publicKey` (PEM, SPKI).
 */
export interface JwtOptions {
  /** Shared secret for HS256 (at least 32 bytes). */
  secret?: string
  /** URL of a JSON Web Key Set, e.g. `https://idp.example.com/.well-known/jwks.json`. */
  jwksUrl?: string
  /** Public key in PEM (SPKI) form, for RS256 / ES256 / EdDSA tokens (see `algorithms`). */
  publicKey?: string
  /** Accepted algorithms (default `['HS256']` with a secret, `['RS256']` with a public key, any asymmetric with JWKS). */
  algorithms?: string[]
  /** Required `iss` claim. */
  issuer?: string
  /** Required `aud` claim. */
  audience?: string
  /** Claim holding the principal (default `sub`). */
  principalClaim?: string
  /**
   * Claim holding the granted spaces (default `spaces`): an array of space names or a space-separated string;
   * `*` grants all. A token without it grants no space.
   */
  spacesClaim?: string
  /** Allowed clock skew in seconds for `exp`/`nbf` (default 30). Tokens must carry `exp`. */
  clockToleranceSeconds?: number
}

type Key = Uint8Array | CryptoKey | JWTVerifyGetKey

function keyOf(options: JwtOptions): { key: () => Promise<Key>; algorithms: string[] | undefined } {
  const sources = [options.secret, options.jwksUrl, options.publicKey].filter((s) => s !== undefined)
  if (sources.length !== 1) throw new Error('JWT verification needs exactly one of secret, jwksUrl or publicKey')
  if (options.secret !== undefined) {
    const secret = new TextEncoder().encode(options.secret)
    if (secret.length < 32) throw new Error('a JWT secret must be at least 32 bytes')
    return { key: async () => secret, algorithms: options.algorithms ?? ['HS256'] }
  }
  if (options.jwksUrl !== undefined) {
    const jwks = createRemoteJWKSet(new URL(options.jwksUrl))
    return { key: async () => jwks, algorithms: options.algorithms }
  }
  const algorithms = options.algorithms ?? ['RS256']
  // imported once, on first use
  const imported = importSPKI(options.publicKey!, algorithms[0]!)
  imported.catch(() => {})
  return { key: () => imported, algorithms }
}

/** The spaces a claim grants: an array of names, or one space-separated string. */
function spacesOf(claim: unknown): Set<string> {
  if (Array.isArray(claim)) return new Set(claim.filter((s): s is string => typeof s === 'string'))
  if (typeof claim === 'string') return new Set(claim.split(/\s+/).filter((s) => s !== ''))
  return new Set()
}

/**
 * An {@link Authorizer} for JWT bearer tokens: verifies signature, `exp` (required) and `nbf`, and `iss`/`aud` when set; the
 * principal comes from `sub` (or `principalClaim`), the granted spaces from `spaces` (or `spacesClaim`).
 * On the live channel the token may come as `?token=` (EventSource cannot send headers).
 */
export function jwtAuthorizer(options: JwtOptions): Authorizer {
  const { key, algorithms } = keyOf(options)
  const principalClaim = options.principalClaim ?? 'sub'
  const spacesClaim = options.spacesClaim ?? 'spaces'
  return async (request, space) => {
    const token = requestToken(request, isLiveRequest(request))
    if (token === undefined) return { ok: false, status: 401, message: 'missing bearer token' }
    let payload: JWTPayload
    try {
      ;({ payload } = await jwtVerify(token, (await key()) as Uint8Array, {
        ...(algorithms ? { algorithms } : {}),
        ...(options.issuer === undefined ? {} : { issuer: options.issuer }),
        ...(options.audience === undefined ? {} : { audience: options.audience }),
        clockTolerance: options.clockToleranceSeconds ?? 30,
        // jose checks exp only when present: a token without it would be a credential that never expires
        requiredClaims: ['exp'],
      }))
    } catch (error) {
      const code = (error as { code?: unknown }).code
      return { ok: false, status: 401, message: code === 'ERR_JWT_EXPIRED' ? 'token expired' : 'invalid token' }
    }
    const principal = payload[principalClaim]
    if (typeof principal !== 'string' || principal === '')
      return { ok: false, status: 401, message: `token has no ${principalClaim} claim` }
    const spaces = spacesOf(payload[spacesClaim])
    if (!spaces.has('*') && !spaces.has(space))
      return { ok: false, status: 403, message: `token does not grant space ${space}` }
    // the stream may live as long as a new request with this token would still be accepted
    const tolerance = options.clockToleranceSeconds ?? 30
    return typeof payload.exp === 'number'
      ? { ok: true, principal, expiresAt: (payload.exp + tolerance) * 1000 }
      : { ok: true, principal }
  }
}
