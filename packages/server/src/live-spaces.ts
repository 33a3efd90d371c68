import type { LivePoke, MultiLiveReady } from '@cairn/core/protocol'
import type { SSEStreamingApi } from 'hono/streaming'
import { type LiveOptions, SseSession } from './live.js'
import type { LiveNotification, SyncStorage } from './storage/types.js'

/** Where a multi-space live stream starts in one admitted space. */
export interface LiveFrom {
  space: string
  /** The client's cursor: a head above it is poked. */
  after: number
}

interface SpaceState {
  /** Highest head known (from storage or a notification). */
  known: number
  /** Highest head poked (the client's cursor before the first poke). */
  poked: number
}

/**
 * One SSE stream of pokes for many spaces (`POST /v1/live`): `ready` with every admitted space's head, then
 * `poke` `{ space, head }` whenever a space's head moves past what was last poked — right after `ready` for a
 * space already past the client's cursor. Pokes only, no events (pull stays the truth): whatever the commits
 * and however slowly the client reads, a stream holds at most one pending poke per space, so its memory is
 * bounded by its number of spaces.
 */
export class SpacesLiveSession extends SseSession {
  readonly #spaces = new Map<string, SpaceState>()
  /** Spaces with a poke to send. */
  readonly #pending = new Set<string>()
  /** Spaces notified without a head (e.g. after a PostgreSQL reconnect): their head is read from storage. */
  readonly #unknown = new Set<string>()
  #ready = false
  #running = false

  constructor(
    private readonly storage: SyncStorage,
    from: readonly LiveFrom[],
    private readonly refused: MultiLiveReady['refused'],
    stream: SSEStreamingApi,
    options: LiveOptions,
    onClose: () => void,
    expiresAt: number | undefined,
  ) {
    super(stream, options.keepAliveMs, onClose, expiresAt)
    for (const { space, after } of from) this.#spaces.set(space, { known: 0, poked: after })
  }

  protected override subscribe(): () => void {
    const unsubscribes = [...this.#spaces.keys()].map((space) =>
      this.storage.subscribe(space, (n) => this.#notify(space, n)),
    )
    return () => {
      for (const unsubscribe of unsubscribes) unsubscribe()
    }
  }

  protected override async start(): Promise<void> {
    const spaces = [...this.#spaces.keys()]
    // subscribed before: a commit after these reads is notified, one before is in them
    const [backendId, heads] = await Promise.all([
      this.storage.backendId(),
      Promise.all(spaces.map((space) => this.storage.head(space))),
    ])
    const ready: MultiLiveReady = { heads: {}, backendId, refused: this.refused }
    for (const [i, space] of spaces.entries()) {
      const state = this.#spaces.get(space)!
      state.known = Math.max(state.known, heads[i]!)
      ready.heads[space] = state.known
      if (state.known > state.poked) this.#pending.add(space)
    }
    if (this.closed || this.expired()) return
    await this.stream.writeSSE({ event: 'ready', data: JSON.stringify(ready) })
    this.#ready = true
    void this.#pump()
  }

  #notify(space: string, n: LiveNotification): void {
    const state = this.#spaces.get(space)
    if (this.closed || !state) return
    if (n.head === undefined) this.#unknown.add(space)
    else if (n.head > state.known) state.known = n.head
    if (state.known > state.poked) this.#pending.add(space)
    void this.#pump()
  }

  async #pump(): Promise<void> {
    if (this.#running || !this.#ready) return
    this.#running = true
    try {
      while (!this.closed && (this.#pending.size > 0 || this.#unknown.size > 0)) {
        if (this.#unknown.size > 0) {
          const spaces = [...this.#unknown]
          this.#unknown.clear()
          const heads = await Promise.all(spaces.map((space) => this.storage.head(space)))
          for (const [i, space] of spaces.entries()) {
            const state = this.#spaces.get(space)!
            state.known = Math.max(state.known, heads[i]!)
            if (state.known > state.poked) this.#pending.add(space)
          }
          continue
        }
        const space: string = this.#pending.values().next().value!
        this.#pending.delete(space)
        const state = this.#spaces.get(space)!
        if (state.known <= state.poked) continue
        if (this.expired()) return
        state.poked = state.known
        const poke: LivePoke = { space, head: state.known }
        await this.stream.writeSSE({ event: 'poke', data: JSON.stringify(poke) })
      }
    } catch {
      this.close()
    } finally {
      this.#running = false
    }
  }
}
