import { type ForgetResponse, isEnvelope, type PushResponse, type WireEvent } from '@cairn/core/protocol'
import { type Context, Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { cors } from 'hono/cors'
import { type AdmissionPolicy, type Admitted, admit, admitSpaces } from './admission.js'
import { isClientAbort, readUtf8, requireJson } from './body.js'
import { domainValidator } from './domain-validator.js'
import { asError, errorResponse, SyncHttpError } from './errors.js'
import { forgottenEvent, SERVER_CLIENT_ID } from './forget.js'
import { hostGuard } from './host-check.js'
import { DEFAULT_LIVE, LiveChannels } from './live.js'
import { SpacesLiveSession } from './live-spaces.js'
import { DEFAULT_AUTH_FAILURE_LIMIT, type SyncServerOptions } from './options.js'
import { type PullSource, pullSpaces, readPage } from './pull.js'
import { DEFAULT_PULL_CACHE, PullCache } from './pull-cache.js'
import { DEFAULT_RATE_LIMIT, RateLimiter, type RateLimitOptions } from './rate-limit.js'
import { type EventValidator, refusalError, refusalsOf, refusedEvent } from './refusal.js'
import { mountStatic } from './static.js'
import { sameEvent } from './storage/plan.js'
import { newSubjectKey, subjectKeysResponse } from './subject-keys.js'
import {
  DEFAULT_LIMITS,
  parseCursor,
  parseForgetRequest,
  parseJson,
  parseLimit,
  parseMultiLiveRequest,
  parseMultiPullRequest,
  parsePushRequest,
  parseSubjectKeysRequest,
  type SyncLimits,
} from './validate.js'

export type { ForgetAuthorizationRequest, ForgetAuthorizer } from './forget.js'
export { DEFAULT_AUTH_FAILURE_LIMIT, type SyncServerOptions } from './options.js'
export type {
  EventAuthorization,
  EventAuthorizationRequest,
  EventAuthorizer,
  EventValidator,
  ValidationOutcome,
} from './refusal.js'

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

const limiterOf = (
  options: Partial<RateLimitOptions> | false | undefined,
  defaults: RateLimitOptions,
  now: (() => number) | undefined,
) => (options === false ? undefined : new RateLimiter({ ...defaults, ...options }, now))

function corsOrigins(options: SyncServerOptions): string | string[] | undefined {
  if (options.corsOrigin !== undefined)
    return typeof options.corsOrigin === 'string' ? options.corsOrigin : [...options.corsOrigin]
  return options.authorize ? '*' : undefined
}

/**
 * One validator out of `requireEncryption`, `domain` and `validateEvent`, in that order (the first refusal
 * wins).
 */
function validatorOf(options: SyncServerOptions): EventValidator | undefined {
  if (options.requireEncryption && options.domain)
    throw new TypeError(
      'requireEncryption and domain cannot go together: the domain checks event data, which an encrypted space ' +
        'hides from the server. Keep domain (encrypted events are then checked by type only) or drop it ' +
        '(authorizeEvent still sees ids, streams, types and meta).',
    )
  const validators = [
    options.requireEncryption ? encryptedOnly : undefined,
    options.domain ? domainValidator(options.domain) : undefined,
    options.validateEvent,
  ].filter((v): v is EventValidator => v !== undefined)
  if (validators.length <= 1) return validators[0]
  return async (event) => {
    for (const validate of validators) {
      const outcome = await validate(event)
      if (!outcome.ok) return outcome
    }
    return { ok: true }
  }
}

/** The validator of `requireEncryption`: event data must be an end-to-end encryption envelope. */
const encryptedOnly: EventValidator = (event) =>
  isEnvelope(event.data)
    ? { ok: true }
    : { ok: false, code: 'NOT_ENCRYPTED', message: `this server stores only encrypted data; '${event.type}' is not` }

/**
 * Creates the Cairn sync server (see the package README for the HTTP API):
 * `POST /v1/spaces/:space/push`, `GET /v1/spaces/:space/pull`, `GET /v1/spaces/:space/live` (SSE), the
 * multi-space `POST /v1/pull` and `POST /v1/live` (SSE pokes), the subject keys of crypto-shredding
 * (`POST /v1/spaces/:space/subject-keys`, `POST /v1/spaces/:space/forget`), `GET /healthz` (the process answers),
 * `GET /readyz` (the storage answers too).
 */
export function createSyncServer(options: SyncServerOptions): SyncServer {
  const { storage, authorizeEvent } = options
  const authorizeForget = options.authorizeForget ?? (() => true)
  const validateEvent = validatorOf(options)
  const limits: SyncLimits = { ...DEFAULT_LIMITS, ...options.limits }
  const live = new LiveChannels(storage, { ...DEFAULT_LIVE, maxPageBytes: limits.maxPageBytes, ...options.live })
  const pullCache = new PullCache({
    ...DEFAULT_PULL_CACHE,
    ...(options.pullCacheSize === undefined ? {} : { maxEvents: options.pullCacheSize }),
    ...options.pullCache,
  })
  const policy: AdmissionPolicy = {
    authorize: options.authorize,
    limiter: limiterOf(options.rateLimit, DEFAULT_RATE_LIMIT, options.now),
    authFailures: limiterOf(options.authFailureLimit, DEFAULT_AUTH_FAILURE_LIMIT, options.now),
    trustProxy: options.trustProxy ?? false,
  }
  const report = options.onError ?? ((error: unknown) => console.error('cairn-server:', error))

  const storageCall = async <T>(call: () => Promise<T>): Promise<T> => {
    try {
      return await call()
    } catch (error) {
      report(error)
      throw new SyncHttpError('STORAGE_UNAVAILABLE', 'storage is unavailable, retry later')
    }
  }

  const pullSource: PullSource = { storage, cache: pullCache, limits, storageCall }

  const append = async (space: string, clientId: string, events: WireEvent[]) => {
    const [result, backendId] = await storageCall(() =>
      Promise.all([storage.append(space, clientId, events), storage.backendId()]),
    )
    if (result.ok) return { accepted: result.accepted, head: result.head, backendId } satisfies PushResponse
    if (result.code === 'CONFLICT')
      throw new SyncHttpError('CONFLICT', 'stream version conflict: pull, rebase and push again', {
        streams: result.streams,
        head: result.head,
      })
    const reused = new Set(result.ids)
    const refused = events
      .filter((e) => reused.delete(e.id))
      .map((e) => refusedEvent(e, 'ID_REUSED', 'event id already stored with different content'))
    throw refusalError(refused, events.length, { details: { ids: result.ids }, head: result.head })
  }

  /**
   * Indexes of the batch's events already stored with identical content: identical retries (the first answer
   * was lost), accepted with their original seq whatever the rules are now. A stored id with different content
   * is left to the append, which refuses it as `ID_REUSED`.
   */
  /** The stored events of `space` among `ids` (none when the storage cannot look them up). */
  const storedEvents = (space: string, ids: readonly string[]) =>
    storage.find ? storage.find(space, ids) : Promise.resolve([])

  const storedRetries = async (space: string, events: readonly WireEvent[]): Promise<Set<number>> => {
    const retried = new Set<number>()
    if (!storage.find) return retried
    const found = await storageCall(() => storage.find!(space, [...new Set(events.map((e) => e.id))]))
    if (found.length === 0) return retried
    const byId = new Map(found.map((e) => [e.id, e]))
    for (const [index, event] of events.entries()) {
      const stored = byId.get(event.id)
      if (stored && sameEvent(stored, event)) retried.add(index)
    }
    return retried
  }

  // who each push is, from the admission middleware (before the body is read) to the handler; keyed by the
  // context because bodyLimit may replace the raw request
  const admitted = new WeakMap<Context, Admitted>()
  const app = new Hono()
  // first, so it wraps every route: a non-Error thrown by a hook becomes an Error that onError answers as JSON
  app.use('*', async (_c, next) => {
    try {
      await next()
    } catch (thrown) {
      throw asError(thrown)
    }
  })
  if (options.allowedHosts !== undefined) app.use('*', hostGuard(options.allowedHosts))
  const origin = corsOrigins(options)
  if (origin !== undefined)
    app.use(
      '*',
      cors({
        origin,
        allowMethods: ['GET', 'POST', 'HEAD', 'OPTIONS'],
        // X-Cairn-Client-Id is no longer read (limits key on the principal), but clients still send it
        allowHeaders: ['Authorization', 'Content-Type', 'Last-Event-ID', 'X-Cairn-Client-Id'],
        exposeHeaders: ['Retry-After'],
        maxAge: 86400,
      }),
    )

  app.get('/healthz', async (c) => c.json({ ok: true, backendId: await storageCall(() => storage.backendId()) }))
  // a real storage round trip (healthz answers from memory): what a load balancer should probe
  app.get('/readyz', async (c) => {
    await storageCall(() => storage.head('readyz'))
    return c.json({ ok: true, backendId: await storageCall(() => storage.backendId()) })
  })

  const limitBody = bodyLimit({
    maxSize: limits.maxBodyBytes,
    onError: () => {
      // the rest of the body is not read: tell the client not to reuse this connection
      throw new SyncHttpError('PAYLOAD_TOO_LARGE', `body is larger than ${limits.maxBodyBytes} bytes`, {
        headers: { Connection: 'close' },
      })
    },
  })

  // admitted to the space (authenticated, rate-limited) before the body is read, which must be JSON
  const admitJson = async (c: Context, next: () => Promise<void>) => {
    admitted.set(c, await admit(c, policy))
    requireJson(c)
    await next()
  }

  app.post('/v1/spaces/:space/push', admitJson, limitBody, async (c) => {
    const { space, principal } = admitted.get(c)!
    const push = parsePushRequest(parseJson(await readUtf8(c)), limits)
    const retried = validateEvent || authorizeEvent ? await storedRetries(space, push.events) : undefined
    const refused = await refusalsOf(push.events, { principal, space }, validateEvent, authorizeEvent, retried)
    if (refused.length > 0) throw refusalError(refused, push.events.length)
    return c.json(await append(space, push.clientId, push.events))
  })

  // Crypto-shredding. Tokens do not tell reading from writing: admission is the same as a push's (and a pull's).
  app.post('/v1/spaces/:space/subject-keys', admitJson, limitBody, async (c) => {
    const { space } = admitted.get(c)!
    const { subjects, create } = parseSubjectKeysRequest(parseJson(await readUtf8(c)))
    const found = await storageCall(() => storage.subjectKeys(space, subjects, create ? newSubjectKey : undefined))
    return c.json(subjectKeysResponse(subjects, found))
  })

  app.post('/v1/spaces/:space/forget', admitJson, limitBody, async (c) => {
    const { space, principal } = admitted.get(c)!
    const { subject, proof } = parseForgetRequest(parseJson(await readUtf8(c)))
    if ((await authorizeForget({ principal, space, subject })) !== true)
      throw new SyncHttpError('FORBIDDEN', `not allowed to forget subjects in space ${space}`)
    await storageCall(() => storage.forgetSubject(space, subject))
    // through the push's append (not its hooks: the event is the server's), so live channels, the pull cache and
    // other instances see it like any event; its fixed id makes a retried forget answer the same seq (a retry's
    // proof is fresh: the first forget's event is looked up and kept)
    const event = forgottenEvent(space, subject, proof)
    const stored = async () => (await storageCall(() => storedEvents(space, [event.id])))[0]?.seq
    let seq = await stored()
    if (seq === undefined) {
      try {
        seq = (await append(space, SERVER_CLIENT_ID, [event])).accepted[0]!.seq
      } catch (error) {
        // Another forget of the subject (with another proof) appended it first.
        seq = await stored()
        if (seq === undefined) throw error
      }
    }
    return c.json({ subject, seq } satisfies ForgetResponse)
  })

  app.get('/v1/spaces/:space/pull', async (c) => {
    const { space } = await admit(c, policy)
    const after = parseCursor(c.req.query('after'), 'after')
    const limit = parseLimit(c.req.query('limit'), limits)
    // Head first: every seq up to it is committed (seq is assigned at commit), so the range below is complete.
    const [head, backendId] = await storageCall(() => Promise.all([storage.head(space), storage.backendId()]))
    const events = await readPage(pullSource, space, after, Math.min(head, after + limit), limits.maxPageBytes)
    c.header('content-type', 'application/json; charset=UTF-8')
    return c.body(`{"events":[${events.join(',')}],"head":${head},"backendId":${JSON.stringify(backendId)}}`)
  })

  app.get('/v1/spaces/:space/live', async (c) => {
    const { space, limitKey, expiresAt } = await admit(c, policy)
    const lastEventId = c.req.header('last-event-id')
    const after =
      lastEventId !== undefined && lastEventId !== ''
        ? parseCursor(lastEventId, 'Last-Event-ID')
        : parseCursor(c.req.query('after'), 'after')
    return live.open(c, space, after, limitKey, expiresAt)
  })

  // Many spaces in one request: the body names them (with their own tokens); each is authorized on its own.
  const jsonBody = async (c: Context, next: () => Promise<void>) => {
    requireJson(c)
    await next()
  }

  app.post('/v1/pull', jsonBody, limitBody, async (c) => {
    const request = parseMultiPullRequest(parseJson(await readUtf8(c)), limits)
    const { spaces } = await admitSpaces(c, policy, request.spaces)
    const body = await pullSpaces(
      pullSource,
      spaces.map((s, i) => ({ ...s, after: request.spaces[i]!.after })),
      request.limit,
    )
    c.header('content-type', 'application/json; charset=UTF-8')
    return c.body(body)
  })

  app.post('/v1/live', jsonBody, limitBody, async (c) => {
    const request = parseMultiLiveRequest(parseJson(await readUtf8(c)))
    const { spaces, limitKey } = await admitSpaces(c, policy, request.spaces)
    const from = spaces.flatMap((s, i) => (s.ok ? [{ space: s.space, after: request.spaces[i]!.after }] : []))
    const refused = spaces.flatMap((s) => (s.ok ? [] : [{ space: s.space, error: s.error }]))
    // nothing to carry: the (first) refusal is the answer
    if (from.length === 0) throw refused[0]!.error
    const expiries = spaces.flatMap((s) => (s.ok && s.expiresAt !== undefined ? [s.expiresAt] : []))
    const expiresAt = expiries.length > 0 ? Math.min(...expiries) : undefined
    const refusedWire = refused.map(({ space, error }) => ({ space, status: error.status, error: error.toBody() }))
    return live.openSession(
      c,
      limitKey,
      (stream, onClose, liveOptions) =>
        new SpacesLiveSession(storage, from, refusedWire, stream, liveOptions, onClose, expiresAt),
    )
  })

  if (options.staticDir !== undefined) mountStatic(app, options.staticDir)

  app.notFound((c) => errorResponse(c, new SyncHttpError('NOT_FOUND', `no route ${c.req.method} ${c.req.path}`)))
  app.onError((error, c) => onError(error, c, report))

  return {
    app,
    fetch: async (input, init) =>
      app.fetch(input instanceof Request && init === undefined ? input : new Request(input, init)),
    liveConnections: () => live.size,
    closeLive: () => live.closeAll(),
  }
}

function onError(error: Error, c: Context, report: (error: unknown) => void): Response {
  if (error instanceof SyncHttpError) return errorResponse(c, error)
  // a client that went away mid-upload: nobody to answer, nothing broken (and logging it floods the log)
  if (isClientAbort(error, c.req.raw)) return errorResponse(c, new SyncHttpError('BAD_REQUEST', 'request aborted'))
  report(error)
  return errorResponse(c, new SyncHttpError('INTERNAL', 'internal error'))
}
