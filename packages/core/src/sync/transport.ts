import { SyncError } from '../domain/errors'
import type {
  ErrorBody,
  ForgetRequest,
  ForgetResponse,
  PullResponse,
  PushRequest,
  PushResponse,
  SubjectKeysRequest,
  SubjectKeysResponse,
} from '../protocol'

/**
 * The server answered with an error status: a `SyncError` whose `code` is the server's (`CONFLICT`,
 * `UNAUTHORIZED`, ...), with the HTTP `status` and the JSON `body`.
 */
export class SyncHttpError extends SyncError {
  constructor(
    readonly status: number,
    readonly body: ErrorBody,
    readonly retryAfterMs?: number,
  ) {
    super(body.code, `${status} ${body.code}: ${body.message}`, { status })
  }
}

/** The request did not reach the server, or its answer did not come back: a `SyncError` with code `NETWORK`. */
export class SyncNetworkError extends SyncError {
  constructor(message: string) {
    super('NETWORK', message)
  }
}

/** Callbacks of a live channel. */
export interface LiveHandlers {
  /** New events were committed on the server (a poke: pull stays the truth). */
  onEvents(head: number): void
  /** The channel opened or broke. */
  onConnected(connected: boolean): void
}

/**
 * How the sync engine reaches a server. `httpTransport` speaks the HTTP protocol of `@cairn/server`;
 * tests plug in an in-memory server, with faults injected. Methods throw `SyncHttpError` for error answers
 * and `SyncNetworkError` (or any other error) when the network failed.
 */
export interface SyncTransport {
  push(request: PushRequest): Promise<PushResponse>
  pull(after: number, limit: number): Promise<PullResponse>
  /** Opens a live channel from `after`; returns the function that closes it. Optional. */
  live?: ((after: number, handlers: LiveHandlers) => () => void) | undefined
  /** The space's subject keys (crypto-shredding). Optional: without it, personal data cannot be synced. */
  subjectKeys?: ((request: SubjectKeysRequest) => Promise<SubjectKeysResponse>) | undefined
  /** Forgets a subject in the space. Optional. */
  forget?: ((request: ForgetRequest) => Promise<ForgetResponse>) | undefined
}

/** Options of {@link httpTransport}. */
export interface HttpTransportOptions {
  /** Base URL of the server, e.g. `https://sync.example.com` or `location.origin`. */
  url: string
  /** The space (shared log) to sync with: `^[A-Za-z0-9_-]{1,64}$`. */
  space: string
  /** A fixed bearer token. */
  token?: string | undefined
  /** Or a function returning a (fresh) token for each request. */
  getToken?: (() => string | undefined | Promise<string | undefined>) | undefined
  /** This client's id (for diagnostics; the server keys its limits on the authenticated principal, not on this). */
  clientId?: string
  /** Injectable fetch. */
  fetch?: typeof fetch
}

async function tokenOf(options: HttpTransportOptions): Promise<string | undefined> {
  return options.getToken ? await options.getToken() : options.token
}

/**
 * The fetch a transport calls: the injected one, else the global one (looked up at each call).
 * @internal
 */
export const fetchOf = (injected: typeof fetch | undefined): typeof fetch =>
  injected ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init))

/**
 * One request to the server, with a JSON body when `body` is given and the bearer `token` when there is one.
 * @throws SyncNetworkError when it does not reach the server (or the answer does not come back).
 * @internal
 */
export async function sendRequest(
  doFetch: typeof fetch,
  url: string,
  init: { method: string; body?: unknown; token?: string | undefined; accept?: string; signal?: AbortSignal },
): Promise<Response> {
  const headers: Record<string, string> = { accept: init.accept ?? 'application/json' }
  if (init.body !== undefined) headers['content-type'] = 'application/json'
  if (init.token) headers.authorization = `Bearer ${init.token}`
  try {
    return await doFetch(url, {
      method: init.method,
      headers,
      cache: 'no-store',
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      ...(init.signal ? { signal: init.signal } : {}),
    })
  } catch (error) {
    throw new SyncNetworkError(error instanceof Error ? error.message : String(error))
  }
}

/** The `Retry-After` of an answer, in ms (seconds only; an HTTP date is ignored). */
function retryAfterOf(response: Response): number | undefined {
  const header = response.headers.get('retry-after')?.trim()
  return header && /^\d+(\.\d+)?$/.test(header) ? Number(header) * 1000 : undefined
}

/**
 * The error of an answer with an error status: its JSON body (or `INTERNAL` when it has none) and `Retry-After`.
 * @internal
 */
export async function httpErrorOf(response: Response): Promise<SyncHttpError> {
  let body: unknown
  try {
    body = await response.json()
  } catch {
    body = { code: 'INTERNAL', message: `HTTP ${response.status}` }
  }
  return new SyncHttpError(response.status, body as ErrorBody, retryAfterOf(response))
}

/**
 * {@link sendRequest}, then the answer's JSON body.
 * @throws SyncHttpError for an error status, SyncNetworkError when the request or its answer got lost.
 * @internal
 */
export async function requestJson<T>(
  doFetch: typeof fetch,
  url: string,
  init: { method: string; body?: unknown; token?: string | undefined },
): Promise<T> {
  const response = await sendRequest(doFetch, url, init)
  if (!response.ok) throw await httpErrorOf(response)
  try {
    return (await response.json()) as T
  } catch {
    throw new SyncNetworkError(`invalid JSON from the server (${response.status})`)
  }
}

/** The HTTP transport for `@cairn/server`: `POST push`, `GET pull`, Server-Sent Events for live pokes. */
export function httpTransport(options: HttpTransportOptions): SyncTransport {
  const base = `${options.url.replace(/\/+$/, '')}/v1/spaces/${encodeURIComponent(options.space)}`
  const doFetch = fetchOf(options.fetch)
  const request = async <T>(path: string, method: string, body?: unknown): Promise<T> =>
    requestJson<T>(doFetch, `${base}${path}`, { method, body, token: await tokenOf(options) })

  return {
    push: (req) => request<PushResponse>('/push', 'POST', req),
    pull: (after, limit) => request<PullResponse>(`/pull?after=${after}&limit=${limit}`, 'GET'),
    subjectKeys: (req) => request<SubjectKeysResponse>('/subject-keys', 'POST', req),
    forget: (req) => request<ForgetResponse>('/forget', 'POST', req),
    live:
      typeof EventSource === 'undefined'
        ? undefined
        : (after, handlers) => {
            let closed = false
            let source: EventSource | undefined
            void tokenOf(options).then((token) => {
              if (closed) return
              const params = new URLSearchParams({ after: String(after) })
              if (token) params.set('token', token)
              source = new EventSource(`${base}/live?${params}`)
              source.addEventListener('open', () => handlers.onConnected(true))
              source.addEventListener('error', () => handlers.onConnected(false))
              source.addEventListener('events', (e) => {
                try {
                  handlers.onEvents((JSON.parse((e as MessageEvent<string>).data) as { head: number }).head)
                } catch {
                  handlers.onEvents(Number.NaN)
                }
              })
            })
            return () => {
              closed = true
              source?.close()
            }
          },
  }
}

/** One space's answer within a multi-space pull: its page, or the error that space alone got. */
export type SpacePage = { space: string; page: PullResponse } | { space: string; error: SyncError }

/** Callbacks of a multi-space live channel. */
export interface SpacesLiveHandlers {
  /** `space` has events up to `head` on the server (a poke: pull stays the truth). */
  onPoke(space: string, head: number): void
  /** The channel opened or broke. */
  onConnected(connected: boolean): void
  /** The server refused to carry pokes for `space` (not authorized...); the others are carried. */
  onRefused?(space: string, error: SyncError): void
}

/** Where a multi-space request starts in one space. */
export interface SpaceFrom {
  space: string
  after: number
}

/**
 * How the sync engine reaches a server for many spaces at once: push per space, one pull request for several
 * spaces' tails, one live channel carrying pokes for all. {@link spacesTransport} builds one from single-space
 * transports (one request per space); `httpSpacesTransport` speaks `@cairn/server`'s multi-space routes.
 */
export interface SpacesTransport {
  push(space: string, request: PushRequest): Promise<PushResponse>
  /** One result per space asked, in that order. A failure of the whole request throws. */
  pull(from: readonly SpaceFrom[], limit: number): Promise<SpacePage[]>
  /** Opens one live channel for all `from` spaces; returns the function that closes it. Optional. */
  live?: ((from: readonly SpaceFrom[], handlers: SpacesLiveHandlers) => () => void) | undefined
  /** A space's subject keys (crypto-shredding). Optional: without it, personal data cannot be synced. */
  subjectKeys?: ((space: string, request: SubjectKeysRequest) => Promise<SubjectKeysResponse>) | undefined
  /** Forgets a subject in a space. Optional. */
  forget?: ((space: string, request: ForgetRequest) => Promise<ForgetResponse>) | undefined
}

/**
 * A {@link SpacesTransport} over one single-space transport per space (`transportOf(space)`; undefined: the
 * space cannot be synced, its pulls fail with `NO_TRANSPORT`). Pulls ask each space in turn, each its own
 * request: a space whose pull fails (refused, or its server unreachable) gets its error, the others their
 * pages. Live opens one channel per space.
 */
export function spacesTransport(transportOf: (space: string) => SyncTransport | undefined): SpacesTransport {
  const cache = new Map<string, SyncTransport | undefined>()
  const of = (space: string) => {
    if (!cache.has(space)) cache.set(space, transportOf(space))
    return cache.get(space)
  }
  const missing = (space: string) =>
    new SyncError('NO_TRANSPORT', `no transport for space '${space}': this client cannot sync it`, { space })
  const noKeyStore = (space: string) =>
    new SyncError('NO_KEY_STORE', `the transport of space '${space}' reaches no subject key store`, { space })
  return {
    push: (space, request) => {
      const t = of(space)
      return t ? t.push(request) : Promise.reject(missing(space))
    },
    subjectKeys: (space, request) => {
      const t = of(space)
      if (!t) return Promise.reject(missing(space))
      if (!t.subjectKeys) return Promise.reject(noKeyStore(space))
      return t.subjectKeys(request)
    },
    forget: (space, request) => {
      const t = of(space)
      if (!t) return Promise.reject(missing(space))
      if (!t.forget) return Promise.reject(noKeyStore(space))
      return t.forget(request)
    },
    pull: async (from, limit) => {
      const pages: SpacePage[] = []
      for (const { space, after } of from) {
        const t = of(space)
        if (!t) {
          pages.push({ space, error: missing(space) })
          continue
        }
        try {
          pages.push({ space, page: await t.pull(after, limit) })
        } catch (error) {
          // Each space is its own request: its failure, refusal or network, is its own (the others still pull).
          pages.push({
            space,
            error:
              error instanceof SyncError
                ? error
                : new SyncNetworkError(error instanceof Error ? error.message : String(error)),
          })
        }
      }
      return pages
    },
    live: (from, handlers) => {
      const closers: (() => void)[] = []
      for (const { space, after } of from) {
        const live = of(space)?.live
        if (!live) continue
        closers.push(
          live(after, {
            onEvents: (head) => handlers.onPoke(space, head),
            onConnected: (connected) => handlers.onConnected(connected),
          }),
        )
      }
      return () => {
        for (const close of closers) close()
      }
    },
  }
}
