/** A source of unique ids; injectable for deterministic tests. */
export type IdGenerator = () => string

let lastMs = 0
let sequence = 0

/**
 * UUIDv7 (RFC 9562): 48-bit millisecond timestamp, then random bits. Monotonic within one context:
 * ids made in the same millisecond carry an increasing 12-bit counter.
 */
export function uuidv7(now: number = Date.now()): string {
  if (now > lastMs) {
    lastMs = now
    sequence = 0
  } else {
    sequence = (sequence + 1) & 0xfff
    if (sequence === 0) lastMs += 1
  }
  const bytes = new Uint8Array(16)
  crypto.getRandomValues(bytes)
  const ms = lastMs
  bytes[0] = (ms / 2 ** 40) & 0xff
  bytes[1] = (ms / 2 ** 32) & 0xff
  bytes[2] = (ms >>> 24) & 0xff
  bytes[3] = (ms >>> 16) & 0xff
  bytes[4] = (ms >>> 8) & 0xff
  bytes[5] = ms & 0xff
  bytes[6] = 0x70 | (sequence >>> 8)
  bytes[7] = sequence & 0xff
  bytes[8] = 0x80 | ((bytes[8] ?? 0) & 0x3f)
  let hex = ''
  for (const b of bytes) hex += b.toString(16).padStart(2, '0')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}
