/**
 * The live channel: one connection for the spaces being synced, carrying the server's pokes (a space has new
 * events) so the loop pulls at once instead of at its next heartbeat. Reopened when the set of spaces changes; a
 * broken one is dropped, and a later round reopens it after a backoff.
 */
import type { SyncError } from '../domain/errors'
import { backoffDelay } from './signal'
import type { SpaceSync } from './space-registry'
import type { SpacesTransport } from './transport'

/** What the live channel tells its owner. */
export interface LiveChannelEvents {
  /** Something to sync now: a poke past a space's cursor, the channel opened, or a broken channel's backoff ended. */
  wake(): void
  /** The channel opened or broke. */
  connected(connected: boolean): void
  /** The server refused to carry pokes for `space` (not authorized...); the others are carried. */
  refused(space: string, error: SyncError): void
}

export class LiveChannel {
  private close: (() => void) | undefined
  /** The spaces of the open channel, as a key. */
  private spaces = ''
  /** Live channels that broke in a row (the reopening backs off). */
  private failures = 0

  constructor(
    private readonly transport: SpacesTransport,
    /** The joined spaces (the registry's map): a poke at or below the space's cursor is nothing new. */
    private readonly joined: ReadonlyMap<string, SpaceSync>,
    private readonly events: LiveChannelEvents,
  ) {}

  /** Opens one channel for `spaces` (each from its cursor), unless one is open for the same spaces. */
  open(spaces: readonly SpaceSync[]): void {
    const live = this.transport.live
    if (!live) return
    const key = spaces.map((s) => s.space).join(',')
    if (this.close && key === this.spaces) return
    this.stop()
    if (spaces.length === 0) return
    this.spaces = key
    const close = live(
      spaces.map((s) => ({ space: s.space, after: s.cursor })),
      {
        onPoke: (space, head) => {
          const s = this.joined.get(space)
          if (s && !(head <= s.cursor)) this.events.wake()
        },
        onConnected: (connected) => {
          if (this.close !== close) return
          this.events.connected(connected)
          if (connected) {
            this.failures = 0
            this.events.wake()
            return
          }
          // The channel broke (a server restart, a proxy's idle timeout): drop it; the next round, soon, opens a
          // new one. Transports do not reconnect by themselves.
          this.stop()
          this.failures += 1
          const timer = setTimeout(() => this.events.wake(), backoffDelay(this.failures, 500, 30_000))
          ;(timer as { unref?: () => void }).unref?.()
        },
        onRefused: (space, error) => this.events.refused(space, error),
      },
    )
    this.close = close
  }

  stop(): void {
    this.close?.()
    this.close = undefined
    this.spaces = ''
  }
}
