/** Token-bucket settings: `ratePerSecond` refill, `burst` capacity. */
export interface RateLimitOptions {
  /** Requests per second refilled into each client's bucket (default 50). */
  ratePerSecond: number
  /** Bucket capacity: requests allowed at once (default 100). */
  burst: number
}

/** Default rate limit: 50 requests/s, burst 100, per client. */
export const DEFAULT_RATE_LIMIT: RateLimitOptions = { ratePerSecond: 50, burst: 100 }

interface Bucket {
  tokens: number
  at: number
}

/** Outcome of {@link RateLimiter.take}. */
export type RateDecision = { ok: true } | { ok: false; retryAfterSeconds: number }

/** Per-key token buckets. Injectable clock (ms) for deterministic tests. */
export class RateLimiter {
  readonly #options: RateLimitOptions
  readonly #now: () => number
  readonly #buckets = new Map<string, Bucket>()

  constructor(options: RateLimitOptions, now: () => number = Date.now) {
    if (!(options.ratePerSecond > 0) || !(options.burst >= 1))
      throw new Error('rate limit needs ratePerSecond > 0 and burst >= 1')
    this.#options = options
    this.#now = now
  }

  /** Takes one token for `key`. */
  take(key: string): RateDecision {
    const now = this.#now()
    const { ratePerSecond, burst } = this.#options
    const bucket = this.#buckets.get(key) ?? { tokens: burst, at: now }
    bucket.tokens = Math.min(burst, bucket.tokens + (Math.max(0, now - bucket.at) / 1000) * ratePerSecond)
    bucket.at = now
    if (bucket.tokens < 1) {
      this.#buckets.set(key, bucket)
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / ratePerSecond)) }
    }
    bucket.tokens -= 1
    this.#buckets.set(key, bucket)
    if (this.#buckets.size > 10_000) this.#sweep(now)
    return { ok: true }
  }

  /** Forgets buckets that have refilled completely (they hold no information). */
  #sweep(now: number): void {
    const { ratePerSecond, burst } = this.#options
    for (const [key, bucket] of this.#buckets)
      if (bucket.tokens + ((now - bucket.at) / 1000) * ratePerSecond >= burst) this.#buckets.delete(key)
  }
}
