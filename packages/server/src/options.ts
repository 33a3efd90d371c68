import type { AnyDomain } from '@cairn/core/domain'
import type { Authorizer } from './auth.js'
import type { ForgetAuthorizer } from './forget.js'
import type { LiveOptions } from './live.js'
import type { PullCacheOptions } from './pull-cache.js'
import type { RateLimitOptions } from './rate-limit.js'
import type { EventAuthorizer, EventValidator } from './refusal.js'
import type { SyncStorage } from './storage/types.js'
import type { SyncLimits } from './validate.js'

/** Default limit of failed authentications per address: a burst of 20, then one every 5 s. */
export const DEFAULT_AUTH_FAILURE_LIMIT: RateLimitOptions = { ratePerSecond: 0.2, burst: 20, maxKeys: 50_000 }

/** Options of `createSyncServer`. */
export interface SyncServerOptions {
  /** Where events live: `createSqliteStorage`, `createPostgresStorage` or `createMemoryStorage`. */
  storage: SyncStorage
  /**
   * Access control per request and space. Omit to run open (anyone who can reach the server may read and write
   * every space). See `tokenAuthorizer` (static tokens) and `jwtAuthorizer` (JWTs).
   */
  authorize?: Authorizer
  /**
   * Makes the server the authority of its spaces: a pushed event must have a type its stream's aggregate
   * declares and data passing the event's schema (after upcasting); otherwise the batch is refused with 422
   * and every refused event listed. The same domain module the worker runs.
   */
  domain?: AnyDomain
  /** A custom validator per pushed event (instead of, or after, `domain`). */
  validateEvent?: EventValidator
  /**
   * Store only end-to-end encrypted data: every pushed event's data must be an `enc1` envelope, else the batch
   * is refused (422 `NOT_ENCRYPTED`, every such event listed): a guard against a device that was not told its
   * space is encrypted. It cannot go with `domain`, which checks data this server then never reads:
   * `createSyncServer` throws. (Without this flag a `domain` server checks an encrypted event's type only, and
   * refuses hidden types.)
   */
  requireEncryption?: boolean
  /**
   * Decides per event who may append what, with the principal, the space and the event; a refusal refuses the
   * batch with 403 `FORBIDDEN` and lists every refused event.
   */
  authorizeEvent?: EventAuthorizer
  /**
   * Decides who may forget a subject (`POST /v1/spaces/:space/forget`: its key is destroyed for good and every
   * member is told), with the principal, the space and the subject, once the request is admitted to the space.
   * `true` allows; anything else refuses with 403 `FORBIDDEN`. Default: whoever may push to the space.
   */
  authorizeForget?: ForgetAuthorizer
  /** Size limits (each field optional). */
  limits?: Partial<SyncLimits>
  /**
   * Token bucket per principal (per address when anonymous), or `false` to disable (default 50/s, burst 100).
   * Per server instance: with N instances behind a load balancer a principal gets up to N times the rate.
   */
  rateLimit?: Partial<RateLimitOptions> | false
  /**
   * Refused authentications (401) and space authorizations (403) allowed per address before it gets 429
   * (default burst 20, then 1 per 5 s).
   */
  authFailureLimit?: Partial<RateLimitOptions> | false
  /** Bounds of the cache of serialized events answering pulls of recent ranges (default 20,000 events, 32 MiB). */
  pullCache?: Partial<PullCacheOptions>
  /** @deprecated use `pullCache.maxEvents`. */
  pullCacheSize?: number
  /** Live channel settings (`maxStreamsPerPrincipal` default 32). */
  live?: Partial<LiveOptions>
  /**
   * Web origins allowed to call the server from a browser (CORS), e.g. `'https://app.example.com'`, or `'*'`.
   * Default: `'*'` when `authorize` is set (bearer tokens are not ambient credentials); none for an open server,
   * so a web page on another origin cannot use it.
   */
  corsOrigin?: string | readonly string[]
  /**
   * Answer only requests whose `Host` header is a loopback name (`localhost`, `*.localhost`), an IP address, or
   * one of these names (`'.example.com'` also allows its subdomains, `'*'` allows any). Guards an open server
   * against DNS rebinding. Default: no check here; `startServer` turns it on (with this list) for an open
   * server. Pass `[]` when you serve an open `createSyncServer` yourself.
   */
  allowedHosts?: readonly string[]
  /**
   * Behind a proxy you trust (load balancer, TLS terminator): take the client address from the last
   * `X-Forwarded-For` entry, for anonymous rate limits and failed-authentication limits. Default false.
   */
  trustProxy?: boolean
  /** Also serve a built web app from this directory (SPA fallback to index.html). */
  staticDir?: string
  /** Clock in ms for the rate limiters (tests). */
  now?: () => number
  /** Where unexpected errors are reported (default `console.error`). */
  onError?: (error: unknown) => void
}
