import {
  type ForgetResponse,
  type LivePoke,
  MAX_SPACES_PER_REQUEST,
  type MultiLiveReady,
  type MultiLiveRequest,
  type MultiPullRequest,
  type MultiPullResponse,
  type PullResponse,
  type PushResponse,
  type SpaceCursor,
  type SpacePullResult,
  type SubjectKeysResponse,
} from '../protocol'
import {
  fetchOf,
  httpErrorOf,
  requestJson,
  type SpaceFrom,
  type SpacePage,
  type SpacesLiveHandlers,
  type SpacesTransport,
  SyncHttpError,
  SyncNetworkError,
  sendRequest,
} from './transport'

/** Options of {@link httpSpacesTransport}. */
export interface HttpSpacesTransportOptions {
  /** Base URL of the server, e.g. `https://sync.example.com` or `location.origin`. */
  url: string
  /** A fixed bearer token, sent as the `Authorization` header of every request. */
  token?: string | undefined
  /**
   * Or each space's own (fresh) token, asked before each request: a push sends it as its `Authorization`
   * header, a multi-space pull or live request in the space's entry. A space it gives no token for falls back
   * to `token`.
   */
  getToken?: ((space: string) => string | undefined | Promise<string | undefined>) | undefined
  /** Injectable fetch (it must stream response bodies for the live channel). */
  fetch?: typeof fetch
  /** This client's id (for diagnostics; the server keys its limits on the authenticated principal, not on this). */
  clientId?: string
}

/** Most bytes of one unfinished line of a live stream: beyond it the stream is broken (a message is tiny). */
const MAX_LINE_CHARS = 1024 * 1024

/**
 * Reads `text/event-stream` text: calls `onMessage(event, data)` for each complete message (comment lines,
 * `id:` and `retry:` are skipped). Lines may end in `\n`, `\r\n` or `\r`, split anywhere across chunks.
 */
class SseReader {
  #buffer = ''
  #event = ''
  #data: string[] = []

  constructor(private readonly onMessage: (event: string, data: string) => void) {}

  push(chunk: string): void {
    this.#buffer += chunk
    for (;;) {
      const end = /\r\n|\r|\n/.exec(this.#buffer)
      if (!end) break
      // a `\r` ending the chunk may be the first half of a `\r\n`
      if (end[0] === '\r' && end.index === this.#buffer.length - 1) break
      const line = this.#buffer.slice(0, end.index)
      this.#buffer = this.#buffer.slice(end.index + end[0].length)
      this.#line(line)
    }
    if (this.#buffer.length > MAX_LINE_CHARS) throw new Error('live stream line too long')
  }

  #line(line: string): void {
    if (line === '') {
      if (this.#data.length > 0) this.onMessage(this.#event || 'message', this.#data.join('\n'))
      this.#event = ''
      this.#data = []
      return
    }
    if (line.startsWith(':')) return
    const colon = line.indexOf(':')
    const field = colon < 0 ? line : line.slice(0, colon)
    const value = colon < 0 ? '' : line.slice(colon + (line[colon + 1] === ' ' ? 2 : 1))
    if (field === 'event') this.#event = value
    else if (field === 'data') this.#data.push(value)
  }
}

const isPage = (result: SpacePullResult): result is { space: string } & PullResponse => 'events' in result

/**
 * The HTTP transport of `@cairn/server` for many spaces at once (a `SpacesTransport`): push per space
 * (`POST /v1/spaces/:space/push`), one `POST /v1/pull` for the tails of up to 100 spaces (more are split into
 * several requests), and one `POST /v1/live` stream of pokes for all of them, read with a streaming `fetch`.
 *
 * A space refused by the server (401, 403) comes back as that space's `error` in a pull and through
 * `onRefused` on the live channel; the others are served. The live channel does not reconnect by itself:
 * `onConnected(false)` tells that it ended, and the sync engine opens it again on its next round.
 *
 * ```ts
 * const transport = httpSpacesTransport({
 *   url: 'https://sync.example.com',
 *   getToken: (space) => tokens.get(space),
 * })
 * const pages = await transport.pull([{ space: 'team-1', after: 0 }, { space: 'team-2', after: 42 }], 500)
 * ```
 */
export function httpSpacesTransport(options: HttpSpacesTransportOptions): SpacesTransport {
  const base = options.url.replace(/\/+$/, '')
  const doFetch = fetchOf(options.fetch)
  const tokenOf = async (space: string): Promise<string | undefined> =>
    (options.getToken ? await options.getToken(space) : undefined) ?? options.token

  /** The entries of a multi-space body: each space's token in its entry, unless it is the header's. */
  const cursorsOf = async (from: readonly SpaceFrom[]): Promise<SpaceCursor[]> => {
    const tokens = await Promise.all(from.map(({ space }) => tokenOf(space)))
    return from.map(({ space, after }, i) => {
      const token = tokens[i]
      return token === undefined || token === options.token ? { space, after } : { space, after, token }
    })
  }

  const pullChunk = async (from: readonly SpaceFrom[], limit: number): Promise<SpacePage[]> => {
    const body: MultiPullRequest = { spaces: await cursorsOf(from), limit }
    const { results } = await requestJson<MultiPullResponse>(doFetch, `${base}/v1/pull`, {
      method: 'POST',
      body,
      token: options.token,
    })
    if (
      !Array.isArray(results) ||
      results.length !== from.length ||
      results.some((r, i) => r?.space !== from[i]!.space)
    )
      throw new SyncNetworkError('malformed multi-space pull answer from the server')
    return results.map((result) =>
      isPage(result)
        ? { space: result.space, page: { events: result.events, head: result.head, backendId: result.backendId } }
        : { space: result.space, error: new SyncHttpError(result.status, result.error) },
    )
  }

  const live = (from: readonly SpaceFrom[], handlers: SpacesLiveHandlers): (() => void) => {
    const controller = new AbortController()
    let closed = false
    let reader: ReadableStreamDefaultReader<string> | undefined
    // pokes at or below what the client holds (or was already told) are dropped: the server may send a space's
    // head both in `ready` and in a first poke
    const told = new Map(from.map(({ space, after }) => [space, after]))
    const poke = (space: string, head: number) => {
      const last = told.get(space)
      if (closed || last === undefined || !(head > last)) return
      told.set(space, head)
      handlers.onPoke(space, head)
    }
    const onMessage = (event: string, data: string) => {
      if (closed) return
      if (event === 'ready') {
        const ready = JSON.parse(data) as MultiLiveReady
        handlers.onConnected(true)
        for (const { space, status, error } of ready.refused ?? [])
          handlers.onRefused?.(space, new SyncHttpError(status, error))
        for (const [space, head] of Object.entries(ready.heads ?? {})) poke(space, head)
      } else if (event === 'poke') {
        const { space, head } = JSON.parse(data) as LivePoke
        if (typeof space !== 'string' || typeof head !== 'number') throw new Error('malformed poke')
        poke(space, head)
      }
    }
    const run = async () => {
      if (from.length === 0) return
      const body: MultiLiveRequest = { spaces: await cursorsOf(from) }
      if (closed) return
      const response = await sendRequest(doFetch, `${base}/v1/live`, {
        method: 'POST',
        body,
        token: options.token,
        accept: 'text/event-stream',
        signal: controller.signal,
      })
      if (!response.ok) {
        const error = await httpErrorOf(response)
        // no space was admitted: each of them is refused (a 429 or 503 refuses none: the channel just failed)
        if (error.status === 401 || error.status === 403)
          for (const { space } of from) if (!closed) handlers.onRefused?.(space, error)
        return
      }
      if (!response.body || !response.headers.get('content-type')?.includes('text/event-stream'))
        throw new SyncNetworkError('the server did not answer with an event stream')
      reader = response.body.pipeThrough(new TextDecoderStream()).getReader()
      if (closed) return
      const sse = new SseReader(onMessage)
      for (;;) {
        const { done, value } = await reader.read()
        if (done || closed) return
        sse.push(value)
      }
    }
    void run()
      .catch(() => {
        // a failed or broken stream: reported below like its end
      })
      .finally(() => {
        controller.abort()
        void reader?.cancel().catch(() => {})
        if (!closed) handlers.onConnected(false)
        closed = true
      })
    return () => {
      if (closed) return
      closed = true
      controller.abort()
      void reader?.cancel().catch(() => {})
    }
  }

  return {
    push: async (space, request) =>
      requestJson<PushResponse>(doFetch, `${base}/v1/spaces/${encodeURIComponent(space)}/push`, {
        method: 'POST',
        body: request,
        token: await tokenOf(space),
      }),
    pull: async (from, limit) => {
      const pages: SpacePage[] = []
      for (let i = 0; i < from.length; i += MAX_SPACES_PER_REQUEST)
        pages.push(...(await pullChunk(from.slice(i, i + MAX_SPACES_PER_REQUEST), limit)))
      return pages
    },
    subjectKeys: async (space, request) =>
      requestJson<SubjectKeysResponse>(doFetch, `${base}/v1/spaces/${encodeURIComponent(space)}/subject-keys`, {
        method: 'POST',
        body: request,
        token: await tokenOf(space),
      }),
    forget: async (space, request) =>
      requestJson<ForgetResponse>(doFetch, `${base}/v1/spaces/${encodeURIComponent(space)}/forget`, {
        method: 'POST',
        body: request,
        token: await tokenOf(space),
      }),
    live,
  }
}
