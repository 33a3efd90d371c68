import { createHash } from 'node:crypto'

/** Token-bucket settings: `ratePerSecond` refill, `burst` capacity. */
export interface RateLimitOptions {
  /** Requests per second refilled into each principal's (or anonymous address's) bucket (default 50). */
  ratePerSecond: number
  /** Bucket capacity: requests allowed at once (default 100). */
  burst: number
  /**
   * Most buckets kept (default 50,000). Beyond it the least recently used bucket is forgotten, so memory
   * stays bounded whatever keys arrive (each entry is a fixed-size hash, not the key itself).
   */
  maxKeys: number
}

/** Default rate limit: 50 requests/s, burst 100, per principal; at most 50,000 buckets. */
export const DEFAULT_RATE_LIMIT: RateLimitOptions = { ratePerSecond: 50, burst: 100, maxKeys: 50_000 }

interface Bucket {
  tokens: number
  at: number
}

/** Outcome of {@link RateLimiter.take}. */
export type RateDecision = { ok: true } | { ok: false; retryAfterSeconds: number }

/** A fixed-size key: a client-influenced string of any length costs the table 24 bytes. */
export const hashKey = (key: string): string => createHash('sha256').update(key).digest('base64').slice(0, 24)

/** Per-key token buckets in a bounded, least-recently-used table. Injectable clock (ms) for tests. */
export class RateLimiter {
  readonly #options: RateLimitOptions
  readonly #now: () => number
  // Map keeps insertion order: re-inserting on use makes the first entry the least recently used.
  readonly #buckets = new Map<string, Bucket>()

  constructor(options: RateLimitOptions, now: () => number = Date.now) {
    if (!(options.ratePerSecond > 0) || !(options.burst >= 1) || !(options.maxKeys >= 1))
      throw new Error('rate limit needs ratePerSecond > 0, burst >= 1 and maxKeys >= 1')
    this.#options = options
    this.#now = now
  }

  /** Number of buckets held (bounded by `maxKeys`). */
  get size(): number {
    return this.#buckets.size
  }

  /** Takes one token for `key`. */
  take(key: string): RateDecision {
    const bucket = this.#refilled(key)
    if (bucket.tokens < 1)
      return {
        ok: false,
        retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / this.#options.ratePerSecond)),
      }
    bucket.tokens -= 1
    return { ok: true }
  }

  /**
   * Gives back a token taken with {@link take} (capped at the burst): for limits taken up front, before an
   * outcome that turned out not to count is known. A forgotten bucket is left alone (it is full anyway).
   */
  refund(key: string): void {
    const bucket = this.#buckets.get(hashKey(key))
    if (!bucket) return
    const now = this.#now()
    bucket.tokens = Math.min(this.#options.burst, this.#level(bucket, now) + 1)
    bucket.at = now
  }

  /** Whether `key` has a token left, without taking it. */
  peek(key: string): RateDecision {
    const hashed = hashKey(key)
    const bucket = this.#buckets.get(hashed)
    if (!bucket) return { ok: true }
    const tokens = this.#level(bucket, this.#now())
    if (tokens >= 1) return { ok: true }
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / this.#options.ratePerSecond)) }
  }

  #level(bucket: Bucket, now: number): number {
    const { ratePerSecond, burst } = this.#options
    return Math.min(burst, bucket.tokens + (Math.max(0, now - bucket.at) / 1000) * ratePerSecond)
  }

  #refilled(key: string): Bucket {
    const now = this.#now()
    const hashed = hashKey(key)
    const known = this.#buckets.get(hashed)
    const bucket = known ?? { tokens: this.#options.burst, at: now }
    bucket.tokens = this.#level(bucket, now)
    bucket.at = now
    if (known) this.#buckets.delete(hashed)
    this.#buckets.set(hashed, bucket)
    // Forgetting a bucket only ever refills it, so evicting the least recently used is safe.
    while (this.#buckets.size > this.#options.maxKeys) this.#buckets.delete(this.#buckets.keys().next().value!)
    return bucket
  }
}
