import { isIPv4, isIPv6 } from 'node:net'
import { getConnInfo } from '@hono/node-server/conninfo'
import type { Context } from 'hono'

/** The eight 16-bit groups of an IPv6 address (already checked with `isIPv6`, zone removed). */
function ipv6Groups(address: string): number[] {
  let text = address
  // an embedded IPv4 tail (`::ffff:1.2.3.4`) is two groups
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text)
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number]
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
  }
  const [head = '', tail] = text.split('::')
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((g) => Number.parseInt(g, 16)))
  const left = parse(head)
  const right = tail === undefined ? [] : parse(tail)
  const zeros = tail === undefined ? [] : new Array<number>(8 - left.length - right.length).fill(0)
  return [...left, ...zeros, ...right]
}

/**
 * The key limits count an address under. An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`, any spelling) is its
 * IPv4 address; any other IPv6 address is its /64 prefix, because one client (a home, a VM) routinely owns a
 * whole /64 and could otherwise take a fresh bucket per address. Anything else is kept as it is.
 */
export function addressKey(address: string): string {
  const bare = address.trim().replace(/^\[(.*)\]$/, '$1')
  if (isIPv4(bare)) return bare
  const unzoned = bare.replace(/%.*$/, '')
  if (!isIPv6(unzoned)) return address
  const groups = ipv6Groups(unzoned.toLowerCase())
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const [hi = 0, lo = 0] = groups.slice(6)
    return `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`
  }
  return `${groups
    .slice(0, 4)
    .map((g) => g.toString(16))
    .join(':')}::/64`
}

/**
 * The address a request comes from, as a limit key ({@link addressKey}): the socket's remote address, or —
 * behind a proxy you trust (`trustProxy`) — the last `X-Forwarded-For` entry, the one that proxy appended
 * (earlier entries are the client's to choose).
 */
export function clientAddress(c: Context, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = c.req.header('x-forwarded-for')
    const last = forwarded?.split(',').pop()?.trim()
    if (last) return addressKey(last.slice(0, 64))
  }
  try {
    return addressKey(getConnInfo(c).remote.address ?? 'unknown')
  } catch {
    // answered in-process (`sync.fetch`): no socket
    return 'local'
  }
}
