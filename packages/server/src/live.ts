import type { StoredWireEvent } from '@cairn/core/protocol'
import type { Context } from 'hono'
import { type SSEStreamingApi, streamSSE } from 'hono/streaming'
import { SyncHttpError } from './errors.js'
import { serialized } from './serialized.js'
import { payloadBytes } from './storage/plan.js'
import type { LiveNotification, SyncStorage } from './storage/types.js'

/** Settings of the live channel. */
export interface LiveOptions {
  /** Interval of `: keep-alive` comments, in ms (default 15000). */
  keepAliveMs: number
  /** Events per message when catching up from storage (default 1000). */
  pageSize: number
  /**
   * Bytes per message when catching up, and of live events buffered while a client reads slowly (default
   * 1 MiB; a message always holds at least one event). What one stalled client can make the server hold.
   */
  maxPageBytes: number
  /** Open live streams per principal (per address when anonymous); more are answered 429 (default 32). */
  maxStreamsPerPrincipal: number
}

/** Default live settings. */
export const DEFAULT_LIVE: LiveOptions = {
  keepAliveMs: 15_000,
  pageSize: 1000,
  maxPageBytes: 1024 * 1024,
  maxStreamsPerPrincipal: 32,
}

/** Buffered live events beyond which a session just re-reads from storage (bounded memory). */
const MAX_BUFFERED = 5000

/**
 * The life of one SSE stream, shared by the live channels: it ends when the client goes away, on
 * {@link close} or when its credential expires; it sends keep-alive comments; what it subscribed to is
 * released when it ends.
 */
export abstract class SseSession {
  #closed = false
  readonly #done: Promise<void>
  #resolveDone!: () => void
  #unsubscribe: () => void = () => {}
  #timer: ReturnType<typeof setInterval> | undefined
  #expiry: ReturnType<typeof setTimeout> | undefined

  constructor(
    protected readonly stream: SSEStreamingApi,
    private readonly keepAliveMs: number,
    private readonly onClose: () => void,
    protected readonly expiresAt: number | undefined,
  ) {
    this.#done = new Promise((resolve) => {
      this.#resolveDone = resolve
    })
  }

  /** Whether the stream has ended. */
  protected get closed(): boolean {
    return this.#closed
  }

  /** Subscribes to what the stream carries, before its first read; returns what undoes it. */
  protected abstract subscribe(): () => void

  /** Sends the first message(s); a failure ends the stream. */
  protected abstract start(): Promise<void>

  /** Runs until the client goes away or {@link close} is called. */
  async run(): Promise<void> {
    if (this.#closed) return
    this.stream.onAbort(() => this.close())
    this.#unsubscribe = this.subscribe()
    this.#timer = setInterval(() => {
      this.stream.write(': keep-alive\n\n').catch(() => this.close())
    }, this.keepAliveMs)
    this.#timer.unref?.()
    if (this.expiresAt !== undefined) {
      // authorized once, at open: the stream ends when its credential does (the client reconnects with a
      // fresh one). setTimeout holds at most ~24.8 days; a later expiry re-arms on the way.
      const arm = () => {
        const left = this.expiresAt! - Date.now()
        if (left <= 0) return this.close()
        this.#expiry = setTimeout(arm, Math.min(left, 2 ** 31 - 1))
        this.#expiry.unref?.()
      }
      arm()
    }
    try {
      await this.start()
    } catch {
      this.close()
    }
    await this.#done
  }

  close(): void {
    if (this.#closed) return
    this.#closed = true
    this.#unsubscribe()
    clearInterval(this.#timer)
    clearTimeout(this.#expiry)
    this.onClose()
    this.#resolveDone()
  }

  /** Whether the credential has expired, closing the stream if so: a late timer must not let one more message through. */
  protected expired(): boolean {
    if (this.expiresAt === undefined || Date.now() < this.expiresAt) return false
    this.close()
    return true
  }
}

/**
 * One SSE connection: sends everything after its cursor, then live events, never skipping or repeating a seq.
 * It subscribes *before* its first read, so an event committing while it connects is either read or
 * buffered; out-of-order or missing notifications fall back to reading storage after the last sent seq.
 */
class LiveSession extends SseSession {
  #lastSent: number
  #knownHead = 0
  #buffer: StoredWireEvent[] = []
  #bufferedBytes = 0
  #needsRead = true
  #running = false

  constructor(
    private readonly storage: SyncStorage,
    private readonly space: string,
    after: number,
    stream: SSEStreamingApi,
    private readonly options: LiveOptions,
    onClose: () => void,
    expiresAt: number | undefined,
  ) {
    super(stream, options.keepAliveMs, onClose, expiresAt)
    this.#lastSent = after
  }

  protected override subscribe(): () => void {
    return this.storage.subscribe(this.space, (n) => this.#notify(n))
  }

  protected override async start(): Promise<void> {
    const [head, backendId] = await Promise.all([this.storage.head(this.space), this.storage.backendId()])
    this.#knownHead = head
    await this.stream.writeSSE({ event: 'ready', data: JSON.stringify({ head, backendId }), retry: 1000 })
    void this.#pump()
  }

  #notify(n: LiveNotification): void {
    if (this.closed) return
    if (n.head !== undefined) {
      if (n.head > this.#knownHead) this.#knownHead = n.head
      if (n.head <= this.#lastSent) return
    }
    const bytes = n.events?.reduce((sum, e) => sum + serialized(e).length, 0) ?? 0
    if (
      n.events &&
      this.#buffer.length + n.events.length <= MAX_BUFFERED &&
      this.#bufferedBytes + bytes <= this.options.maxPageBytes
    ) {
      for (const e of n.events) this.#buffer.push(e)
      this.#bufferedBytes += bytes
    } else {
      // a slow reader: drop what is buffered and read from storage when it catches up
      this.#needsRead = true
      this.#buffer = []
      this.#bufferedBytes = 0
    }
    void this.#pump()
  }

  async #pump(): Promise<void> {
    if (this.#running) return
    this.#running = true
    try {
      while (!this.closed && (this.#needsRead || this.#buffer.length > 0)) {
        const buffered = this.#buffer.filter((e) => e.seq > this.#lastSent).sort((a, b) => a.seq - b.seq)
        this.#buffer = []
        this.#bufferedBytes = 0
        const contiguous = buffered.every((e, i) => e.seq === this.#lastSent + 1 + i)
        if (this.#needsRead || !contiguous) {
          this.#needsRead = false
          await this.#catchUp()
        } else if (buffered.length > 0) {
          await this.#send(buffered)
        }
      }
    } catch {
      this.close()
    } finally {
      this.#running = false
    }
  }

  async #catchUp(): Promise<void> {
    const { pageSize, maxPageBytes } = this.options
    for (;;) {
      const page = await this.storage.read(this.space, this.#lastSent, pageSize, maxPageBytes)
      if (page.length > 0) await this.#send(page)
      // a page cut by neither bound is the end of the log; measured as storage measures its byte bound (UTF-8
      // bytes of data and meta), not by the message's UTF-16 length, or a page of multi-byte text looks short
      const bytes = page.reduce((sum, e) => sum + payloadBytes(e), 0)
      if ((page.length < pageSize && bytes < maxPageBytes) || this.closed) return
    }
  }

  /** Sends events as one message. */
  async #send(events: StoredWireEvent[]): Promise<void> {
    if (this.closed || this.expired()) return
    const last = events[events.length - 1]!.seq
    this.#lastSent = last
    if (last > this.#knownHead) this.#knownHead = last
    const parts = events.map(serialized)
    const data = `{"events":[${parts.join(',')}],"head":${this.#knownHead}}`
    await this.stream.writeSSE({ event: 'events', id: String(last), data })
  }
}

/** The live channels of one server: opens SSE sessions (at most so many per principal), closes them all on shutdown. */
export class LiveChannels {
  readonly #sessions = new Set<SseSession>()
  readonly #perPrincipal = new Map<string, number>()
  // set by closeAll: a live request still being admitted (an async authorizer) when shutdown began must not
  // open a stream afterwards, which would hold the server open until the shutdown deadline
  #closed = false

  constructor(
    private readonly storage: SyncStorage,
    private readonly options: LiveOptions,
  ) {}

  /** Number of open live connections. */
  get size(): number {
    return this.#sessions.size
  }

  /**
   * Answers `GET /v1/spaces/:space/live` with an SSE stream starting after `after`, counted against `principal`
   * (the rate-limit key: an authenticated principal or an anonymous address). The stream ends at `expiresAt`
   * (ms since the epoch), when the credential it was opened with expires.
   * @throws SyncHttpError 429 when `principal` already holds `maxStreamsPerPrincipal` streams.
   */
  open(c: Context, space: string, after: number, principal: string, expiresAt?: number): Response {
    return this.openSession(
      c,
      principal,
      (stream, onClose, options) => new LiveSession(this.storage, space, after, stream, options, onClose, expiresAt),
    )
  }

  /**
   * Answers with an SSE stream run by the session `create` makes, counted as one stream of `principal`.
   * @throws SyncHttpError 429 when `principal` already holds `maxStreamsPerPrincipal` streams, 503 after
   * {@link closeAll}.
   */
  openSession(
    c: Context,
    principal: string,
    create: (stream: SSEStreamingApi, onClose: () => void, options: LiveOptions) => SseSession,
  ): Response {
    if (this.#closed)
      throw new SyncHttpError('STORAGE_UNAVAILABLE', 'the server is shutting down, retry later', {
        headers: { 'Retry-After': '1', Connection: 'close' },
      })
    const held = this.#perPrincipal.get(principal) ?? 0
    if (held >= this.options.maxStreamsPerPrincipal)
      throw new SyncHttpError('RATE_LIMITED', `at most ${this.options.maxStreamsPerPrincipal} live streams at once`, {
        // the refused client likely opens more: do not let it keep this socket either
        headers: { 'Retry-After': '5', Connection: 'close' },
      })
    this.#perPrincipal.set(principal, held + 1)
    c.header('X-Accel-Buffering', 'no')
    return streamSSE(c, async (stream) => {
      const session: SseSession = create(
        stream,
        () => {
          this.#sessions.delete(session)
          this.#release(principal)
        },
        this.options,
      )
      this.#sessions.add(session)
      // closeAll ran between open() and this callback: end at once
      if (this.#closed) session.close()
      await session.run()
    })
  }

  #release(principal: string): void {
    const left = (this.#perPrincipal.get(principal) ?? 1) - 1
    if (left <= 0) this.#perPrincipal.delete(principal)
    else this.#perPrincipal.set(principal, left)
  }

  /**
   * Ends every open stream (clients reconnect elsewhere and resume from their cursor); streams asked for
   * afterwards are answered 503 with `Connection: close`.
   */
  closeAll(): void {
    this.#closed = true
    for (const session of [...this.#sessions]) session.close()
  }
}
