import { getConnInfo } from '@hono/node-server/conninfo'
import type { Context } from 'hono'

/**
 * The address a request comes from: the socket's remote address, or — behind a proxy you trust (`trustProxy`) —
 * the last `X-Forwarded-For` entry, the one that proxy appended (earlier entries are the client's to choose).
 */
export function clientAddress(c: Context, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = c.req.header('x-forwarded-for')
    const last = forwarded?.split(',').pop()?.trim()
    if (last) return last.slice(0, 64)
  }
  try {
    return getConnInfo(c).remote.address ?? 'unknown'
  } catch {
    // answered in-process (`sync.fetch`): no socket
    return 'local'
  }
}
