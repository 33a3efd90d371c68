import { isIP } from 'node:net'
import type { MiddlewareHandler } from 'hono'
import { SyncHttpError } from './errors.js'

/**
 * The host name of a `Host` header, lower-case, without port, brackets or a trailing dot; `undefined` when
 * the header is missing or malformed.
 */
function hostnameOf(header: string | undefined): string | undefined {
  if (header === undefined) return undefined
  const host = header.trim().toLowerCase()
  if (host.startsWith('[')) {
    const end = host.indexOf(']')
    return end > 1 ? host.slice(1, end) : undefined
  }
  const name = host.replace(/:\d*$/, '').replace(/\.$/, '')
  return name === '' ? undefined : name
}

/**
 * Whether a request addressed to `header` may be answered. Loopback names (`localhost`, `*.localhost`) and IP
 * literals always may: DNS rebinding needs a DNS name the attacker controls, and a page whose origin is an IP
 * literal was loaded from that address itself. Other names must be listed in `allowed` (exactly, or under an
 * entry starting with `.`, which also matches the bare name); `'*'` allows every name.
 */
export function isAllowedHost(header: string | undefined, allowed: readonly string[]): boolean {
  const name = hostnameOf(header)
  if (name === undefined) return false
  if (name === 'localhost' || name.endsWith('.localhost') || isIP(name) !== 0) return true
  for (const entry of allowed) {
    const e = entry.trim().toLowerCase().replace(/\.$/, '')
    if (e === '*' || e === name) return true
    if (e.startsWith('.') && (name === e.slice(1) || name.endsWith(e))) return true
  }
  return false
}

/**
 * Refuses requests whose `Host` names a host not allowed (403 `FORBIDDEN`, JSON). An open server has no
 * credentials to check, so without this a web page whose DNS name an attacker rebinds to 127.0.0.1 would be
 * same-origin with it, no CORS involved, and could read and write every space.
 */
export function hostGuard(allowed: readonly string[]): MiddlewareHandler {
  return async (c, next) => {
    const host = c.req.header('host')
    if (!isAllowedHost(host, allowed))
      throw new SyncHttpError(
        'FORBIDDEN',
        `host ${JSON.stringify(host ?? '')} is not allowed: use localhost or an IP address, or allow the name (--allowed-host)`,
      )
    await next()
  }
}
