/**
 * The sync part of the runtime status: `status.spaces` from the joined spaces and their pending counts, and what
 * the syncing tab (the leader) shares with the other tabs over a BroadcastChannel. A follower shows what the
 * leader shared; only the leader's own figures are its own.
 */
import type { Dexie } from 'dexie'
import type { RuntimeStatus, SharedSyncStatus, SpaceStatus, StatusHub } from '../runtime/status'
import type { CommandRecord } from '../store/records'
import type { SpaceSync } from './space-registry'

const SHARED_KEYS = ['connected', 'syncing', 'lastSyncedAt', 'head', 'lastError', 'spaces'] as const

export class SyncStatusPublisher {
  private leader = false
  private closed = false
  private channel: BroadcastChannel | undefined
  private unsubscribeStatus: (() => void) | undefined
  private counting: Promise<void> | undefined
  private countAgain = false
  private pendingBySpace = new Map<string, number>()

  constructor(
    private readonly status: StatusHub<RuntimeStatus>,
    private readonly db: Dexie,
    /** The joined spaces (the registry's map, kept up to date by it). */
    private readonly spaces: ReadonlyMap<string, SpaceSync>,
  ) {}

  /** Takes the syncing tab's shared status while this tab does not sync (`dbName`: one channel per database). */
  listen(dbName: string): void {
    if (typeof BroadcastChannel === 'undefined') return
    this.channel = new BroadcastChannel(`cairn-sync-status:${dbName}`)
    this.channel.onmessage = (e: MessageEvent<SharedSyncStatus>) => {
      if (!this.leader) this.status.update(e.data)
    }
  }

  /** This tab syncs from now on: its figures are its own, and it shares them. */
  lead(): void {
    this.leader = true
    this.status.update({ leader: true })
  }

  /**
   * The runtime keeps the pending count (over the shared journal): a change is counted again per space, and
   * more pending work calls `onMore` (it wakes the loop).
   */
  watchPending(onMore: () => void): void {
    let pending = this.status.get().pending
    this.unsubscribeStatus = this.status.subscribe((status) => {
      if (status.pending > pending) onMore()
      if (status.pending !== pending) void this.countPending()
      pending = status.pending
    })
  }

  /**
   * Pending commands per space, into `status.spaces` (what a leave would discard). Coalesced: a burst of
   * commands costs one count per space at a time, not one per command.
   */
  async countPending(): Promise<void> {
    if (this.counting) {
      this.countAgain = true
      return this.counting
    }
    this.counting = (async () => {
      do {
        this.countAgain = false
        if (this.closed) return
        try {
          const commands = this.db.table<CommandRecord>('commands')
          const spaces = [...this.spaces.keys()]
          const counts = await Promise.all(
            spaces.map((space) => commands.where('[status+space]').equals(['pending', space]).count()),
          )
          this.pendingBySpace = new Map(spaces.map((space, i) => [space, counts[i] ?? 0]))
          this.publishSpaces()
        } catch {
          // a closing database: the next count will tell
        }
      } while (this.countAgain)
    })().finally(() => {
      this.counting = undefined
    })
    return this.counting
  }

  /**
   * `status.spaces` from the in-memory spaces. Every tab knows cursors (from the database) and pending counts; the
   * server's head, errors and sync times come from the syncing tab (a follower keeps what the leader shared).
   */
  publishSpaces(): void {
    const spaces: Record<string, SpaceStatus> = {}
    const shared = this.status.get().spaces
    let head = 0
    for (const s of this.spaces.values()) {
      const pending = this.pendingBySpace.get(s.space) ?? 0
      const own = {
        head: s.head,
        lastSyncedAt: s.lastSyncedAt,
        lastError: s.lastError,
        stopped: s.stopped !== undefined,
      }
      const synced = this.leader ? own : (shared[s.space] ?? own)
      head += synced.head
      spaces[s.space] = {
        cursor: s.cursor,
        head: synced.head,
        pending,
        lastSyncedAt: synced.lastSyncedAt,
        lastError: synced.lastError,
        stopped: synced.stopped,
        encrypted: s.cipher !== undefined,
        keyIds: s.cipher?.keyIds ?? [],
      }
    }
    this.share(this.leader ? { spaces, head } : { spaces })
  }

  /** Updates this tab's status; the leader also shares its sync part with the other tabs. */
  share(patch: Partial<SharedSyncStatus>): void {
    this.status.update(patch)
    if (!this.leader || !this.channel) return
    const s = this.status.get()
    const shared = Object.fromEntries(SHARED_KEYS.map((k) => [k, s[k]])) as unknown as SharedSyncStatus
    this.channel.postMessage(shared)
  }

  /** Stops counting, watching and sharing. */
  close(): void {
    this.closed = true
    this.unsubscribeStatus?.()
    this.channel?.close()
  }
}
