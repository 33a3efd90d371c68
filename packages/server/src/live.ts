import type { StoredWireEvent } from '@cairn/core/protocol'
import type { Context } from 'hono'
import { type SSEStreamingApi, streamSSE } from 'hono/streaming'
import type { LiveNotification, SyncStorage } from './storage/types.js'

/** Settings of the live channel. */
export interface LiveOptions {
  /** Interval of `: keep-alive` comments, in ms (default 15000). */
  keepAliveMs: number
  /** Events per message when catching up from storage (default 1000). */
  pageSize: number
}

/** Default live settings. */
export const DEFAULT_LIVE: LiveOptions = { keepAliveMs: 15_000, pageSize: 1000 }

/** Buffered live events beyond which a session just re-reads from storage (bounded memory). */
const MAX_BUFFERED = 5000

/**
 * One SSE connection: sends everything after its cursor, then live events, never skipping or repeating a seq.
 * It subscribes *before* its first read, so an event committing while it connects is either read or
 * buffered; out-of-order or missing notifications fall back to reading storage after the last sent seq.
 */
class LiveSession {
  #lastSent: number
  #knownHead = 0
  #buffer: StoredWireEvent[] = []
  #needsRead = true
  #running = false
  #closed = false
  readonly #done: Promise<void>
  #resolveDone!: () => void
  #unsubscribe: () => void = () => {}
  #timer: ReturnType<typeof setInterval> | undefined

  constructor(
    private readonly storage: SyncStorage,
    private readonly space: string,
    after: number,
    private readonly stream: SSEStreamingApi,
    private readonly options: LiveOptions,
    private readonly onClose: () => void,
  ) {
    this.#lastSent = after
    this.#done = new Promise((resolve) => {
      this.#resolveDone = resolve
    })
  }

  /** Runs until the client goes away or {@link close} is called. */
  async run(): Promise<void> {
    this.stream.onAbort(() => this.close())
    this.#unsubscribe = this.storage.subscribe(this.space, (n) => this.#notify(n))
    this.#timer = setInterval(() => {
      this.stream.write(': keep-alive\n\n').catch(() => this.close())
    }, this.options.keepAliveMs)
    this.#timer.unref?.()
    try {
      const [head, backendId] = await Promise.all([this.storage.head(this.space), this.storage.backendId()])
      this.#knownHead = head
      await this.stream.writeSSE({ event: 'ready', data: JSON.stringify({ head, backendId }), retry: 1000 })
      void this.#pump()
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
    this.onClose()
    this.#resolveDone()
  }

  #notify(n: LiveNotification): void {
    if (this.#closed) return
    if (n.head !== undefined) {
      if (n.head > this.#knownHead) this.#knownHead = n.head
      if (n.head <= this.#lastSent) return
    }
    if (n.events && this.#buffer.length + n.events.length <= MAX_BUFFERED) this.#buffer.push(...n.events)
    else this.#needsRead = true
    void this.#pump()
  }

  async #pump(): Promise<void> {
    if (this.#running) return
    this.#running = true
    try {
      while (!this.#closed && (this.#needsRead || this.#buffer.length > 0)) {
        const buffered = this.#buffer.filter((e) => e.seq > this.#lastSent).sort((a, b) => a.seq - b.seq)
        this.#buffer = []
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
    for (;;) {
      const page = await this.storage.read(this.space, this.#lastSent, this.options.pageSize)
      if (page.length > 0) await this.#send(page)
      if (page.length < this.options.pageSize || this.#closed) return
    }
  }

  async #send(events: StoredWireEvent[]): Promise<void> {
    if (this.#closed) return
    const last = events[events.length - 1]!.seq
    this.#lastSent = last
    if (last > this.#knownHead) this.#knownHead = last
    await this.stream.writeSSE({
      event: 'events',
      id: String(last),
      data: JSON.stringify({ events, head: this.#knownHead }),
    })
  }
}

/** The live channels of one server: opens SSE sessions, closes them all on shutdown. */
export class LiveChannels {
  readonly #sessions = new Set<LiveSession>()

  constructor(
    private readonly storage: SyncStorage,
    private readonly options: LiveOptions,
  ) {}

  /** Number of open live connections. */
  get size(): number {
    return this.#sessions.size
  }

  /** Answers `GET /v1/spaces/:space/live` with an SSE stream starting after `after`. */
  open(c: Context, space: string, after: number): Response {
    c.header('X-Accel-Buffering', 'no')
    return streamSSE(c, async (stream) => {
      const session: LiveSession = new LiveSession(this.storage, space, after, stream, this.options, () =>
        this.#sessions.delete(session),
      )
      this.#sessions.add(session)
      await session.run()
    })
  }

  /** Ends every open stream (clients reconnect elsewhere and resume from their cursor). */
  closeAll(): void {
    for (const session of [...this.#sessions]) session.close()
  }
}
