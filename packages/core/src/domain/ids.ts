/** A source of unique ids; injectable for deterministic tests. */
export type IdGenerator = () => string

let lastMs = 0
let sequence = 0

/** Random bits per id: the 2 bits of the variant take 2 of the first byte's 8 (62 random bits in all). */
const RANDOM_BYTES = 8
/** Random bytes drawn 256 ids at a time: one `getRandomValues` call per id cost more than the rest of the id. */
const pool = new Uint8Array(RANDOM_BYTES * 256)
let poolAt = pool.length
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))

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
  if (poolAt + RANDOM_BYTES > pool.length) {
    crypto.getRandomValues(pool)
    poolAt = 0
  }
  const r = poolAt
  poolAt += RANDOM_BYTES
  const time = lastMs.toString(16).padStart(12, '0')
  let tail = ''
  for (let k = 2; k < RANDOM_BYTES; k++) tail += HEX[pool[r + k] as number]
  return `${time.slice(0, 8)}-${time.slice(8)}-${(0x7000 | sequence).toString(16)}-${HEX[0x80 | ((pool[r] as number) & 0x3f)]}${HEX[pool[r + 1] as number]}-${tail}`
}
