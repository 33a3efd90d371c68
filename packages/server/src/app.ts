import type { JsonValue, PushResponse, WireEvent } from '@cairn/core/protocol'
import { getConnInfo } from '@hono/node-server/conninfo'
import { type Context, Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { cors } from 'hono/cors'
import type { Authorizer } from './auth.js'
import { errorResponse, SyncHttpError } from './errors.js'
import { DEFAULT_LIVE, LiveChannels, type LiveOptions } from './live.js'
import { PullCache } from './pull-cache.js'
import { DEFAULT_RATE_LIMIT, RateLimiter, type RateLimitOptions } from './rate-limit.js'
import { mountStatic } from './static.js'
import type { SyncStorage } from './storage/types.js'
import {
  DEFAULT_LIMITS,
  parseCursor,
  parseJson,
  parseLimit,
  parsePushRequest,
  parseSpace,
  type SyncLimits,
} from './validate.js'

/** Answer of a domain validator: `ok`, or the 422 code and message to send. Same shape as `validateWireEvent` of `@cairn/core/domain`. */
export type ValidationOutcome =
  | { ok: true }
  | { ok: false; code: 'UNKNOWN_EVENT_TYPE' | 'INVALID_EVENT_DATA'; message: string; issues?: unknown }

/** Validates one pushed event against the app's domain. */
export type EventValidator = (event: WireEvent) => Promise<ValidationOutcome> | ValidationOutcome

/** Options of {@link createSyncServer}. */
export interface SyncServerOptions {
  /** Where events live: `createSqliteStorage`, `createPostgresStorage` or `createMemoryStorage`. */
  storage: SyncStorage
  /**
   * Access control per request and space. Omit to run open (anyone may read and write every space).
   * See `tokenAuthorizer` for static bearer tokens.
   */
  authorize?: Authorizer
  /**
   * Domain validation of each pushed event (unknown type, bad data → 422). With a Cairn domain:
   * `validateEvent: (e) => validateWireEvent(domain, e)` from `@cairn/core/domain`.
   */
  validateEvent?: EventValidator
  /** Size limits (each field optional). */
  limits?: Partial<SyncLimits>
  /** Per-client token bucket, or `false` to disable (default 50/s, burst 100). */
  rateLimit?: Partial<RateLimitOptions> | false
  /** Serialized events kept in memory to answer pulls of recent ranges (default 20,000; 0 turns it off). */
  pullCacheSize?: number
  /** Live channel settings. */
  live?: Partial<LiveOptions>
  /** Also serve a built web app from this directory (SPA fallback to index.html). */
  staticDir?: string
  /** Clock in ms for the rate limiter (tests). */
  now?: () => number
  /** Where unexpected errors are reported (default `console.error`). */
  onError?: (error: unknown) => void
}

/** A sync server: a Hono app plus the handle of its live channels. */
export interface SyncServer {
  /** The Hono app; mount it or serve `app.fetch`. */
  readonly app: Hono
  /**
   * A drop-in `fetch` answered in-process by this server (no socket): hand it to a sync client in tests,
   * e.g. `fetch: sync.fetch` with URLs like `http://cairn.test/v1/spaces/...`.
   */
  readonly fetch: (input: Request | string | URL, init?: RequestInit) => Promise<Response>
  /** Number of open live (SSE) connections. */
  liveConnections(): number
  /** Ends every live stream (for shutdown). Does not close the storage. */
  closeLive(): void
}

/** Makes an arbitrary value (validator issues) safe to send as JSON. */
const toJsonValue = (value: unknown): JsonValue => {
  try {
    return JSON.parse(JSON.stringify(value ?? null)) as JsonValue
  } catch {
    return null
  }
}

const clientAddress = (c: Context): string => {
  try {
    return getConnInfo(c).remote.address ?? 'unknown'
  } catch {
    return 'local'
  }
}

/**
 * Creates the Cairn sync server (see the package README for the HTTP API):
 * `POST /v1/spaces/:space/push`, `GET /v1/spaces/:space/pull`, `GET /v1/spaces/:space/live` (SSE), `GET /healthz`.
 */
export function createSyncServer(options: SyncServerOptions): SyncServer {
  const { storage, authorize, validateEvent } = options
  const limits: SyncLimits = { ...DEFAULT_LIMITS, ...options.limits }
  const live = new LiveChannels(storage, { ...DEFAULT_LIVE, ...options.live })
  const pullCache = new PullCache(options.pullCacheSize ?? 20_000)
  const limiter =
    options.rateLimit === false
      ? undefined
      : new RateLimiter({ ...DEFAULT_RATE_LIMIT, ...options.rateLimit }, options.now)
  const report = options.onError ?? ((error: unknown) => console.error('cairn-server:', error))

  const storageCall = async <T>(call: () => Promise<T>): Promise<T> => {
    try {
      return await call()
    } catch (error) {
      report(error)
      throw new SyncHttpError('STORAGE_UNAVAILABLE', 'storage is unavailable, retry later')
    }
  }

  /** Rate limit, space name, authorization: the common prelude of every space route. */
  const admit = async (c: Context): Promise<string> => {
    if (limiter) {
      const key = `${c.req.header('authorization') ?? clientAddress(c)}|${c.req.header('x-cairn-client-id') ?? c.req.query('clientId') ?? ''}`
      const decision = limiter.take(key)
      if (!decision.ok)
        throw new SyncHttpError('RATE_LIMITED', 'too many requests', {
          headers: { 'Retry-After': String(decision.retryAfterSeconds) },
        })
    }
    const space = parseSpace(c.req.param('space') ?? '')
    if (authorize) {
      const result = await authorize(c.req.raw, space)
      if (result === false) throw new SyncHttpError('FORBIDDEN', `no access to space ${space}`)
      if (typeof result === 'object' && !result.ok)
        throw new SyncHttpError(
          result.status === 401 ? 'UNAUTHORIZED' : 'FORBIDDEN',
          result.message ?? (result.status === 401 ? 'unauthorized' : `no access to space ${space}`),
        )
    }
    return space
  }

  const app = new Hono()
  app.use(
    '*',
    cors({
      origin: '*',
      allowMethods: ['GET', 'POST', 'HEAD', 'OPTIONS'],
      allowHeaders: ['Authorization', 'Content-Type', 'Last-Event-ID', 'X-Cairn-Client-Id'],
      exposeHeaders: ['Retry-After'],
      maxAge: 86400,
    }),
  )

  app.get('/healthz', async (c) => c.json({ ok: true, backendId: await storageCall(() => storage.backendId()) }))

  app.post(
    '/v1/spaces/:space/push',
    async (c, next) => {
      await admit(c)
      await next()
    },
    bodyLimit({
      maxSize: limits.maxBodyBytes,
      onError: () => {
        // the rest of the body is not read: tell the client not to reuse this connection
        throw new SyncHttpError('PAYLOAD_TOO_LARGE', `body is larger than ${limits.maxBodyBytes} bytes`, {
          headers: { Connection: 'close' },
        })
      },
    }),
    async (c) => {
      const space = c.req.param('space')
      const push = parsePushRequest(parseJson(await c.req.text()), limits)
      if (validateEvent) {
        for (const [index, event] of push.events.entries()) {
          const outcome = await validateEvent(event)
          if (!outcome.ok)
            throw new SyncHttpError(outcome.code, outcome.message, {
              details: { index, id: event.id, type: event.type, issues: toJsonValue(outcome.issues) },
            })
        }
      }
      const [result, backendId] = await storageCall(() =>
        Promise.all([storage.append(space, push.clientId, push.events), storage.backendId()]),
      )
      if (result.ok) return c.json({ accepted: result.accepted, head: result.head, backendId } satisfies PushResponse)
      if (result.code === 'CONFLICT')
        throw new SyncHttpError('CONFLICT', 'stream version conflict: pull, rebase and push again', {
          streams: result.streams,
          head: result.head,
        })
      throw new SyncHttpError('ID_REUSED', 'event id already stored with different content', {
        details: { ids: result.ids },
        head: result.head,
      })
    },
  )

  app.get('/v1/spaces/:space/pull', async (c) => {
    const space = await admit(c)
    const after = parseCursor(c.req.query('after'), 'after')
    const limit = parseLimit(c.req.query('limit'), limits)
    // Head first: every seq up to it is committed (seq is assigned at commit), so the range below is complete.
    const [head, backendId] = await storageCall(() => Promise.all([storage.head(space), storage.backendId()]))
    const to = Math.min(head, after + limit)
    let events = pullCache.get(space, after, to)
    if (!events) {
      const read = await storageCall(() => storage.read(space, after, to - after))
      events = pullCache.put(space, read)
    }
    c.header('content-type', 'application/json; charset=UTF-8')
    return c.body(`{"events":[${events.join(',')}],"head":${head},"backendId":${JSON.stringify(backendId)}}`)
  })

  app.get('/v1/spaces/:space/live', async (c) => {
    const space = await admit(c)
    const lastEventId = c.req.header('last-event-id')
    const after =
      lastEventId !== undefined && lastEventId !== ''
        ? parseCursor(lastEventId, 'Last-Event-ID')
        : parseCursor(c.req.query('after'), 'after')
    return live.open(c, space, after)
  })

  if (options.staticDir !== undefined) mountStatic(app, options.staticDir)

  app.notFound((c) => errorResponse(c, new SyncHttpError('NOT_FOUND', `no route ${c.req.method} ${c.req.path}`)))
  app.onError((error, c) => {
    if (error instanceof SyncHttpError) return errorResponse(c, error)
    report(error)
    return errorResponse(c, new SyncHttpError('INTERNAL', 'internal error'))
  })

  return {
    app,
    fetch: async (input, init) =>
      app.fetch(input instanceof Request && init === undefined ? input : new Request(input, init)),
    liveConnections: () => live.size,
    closeLive: () => live.closeAll(),
  }
}
