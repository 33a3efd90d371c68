import type { PullResponse, PushRequest, PushResponse, StoredWireEvent, StreamConflict } from '../protocol'
import { SyncHttpError, type SyncTransport } from '../sync/transport'

/**
 * An in-memory sync server with the semantics of `@cairn/server` (one space): all-or-nothing batches,
 * idempotent ids, per-stream version checks, gapless `seq`. For fast, deterministic sync tests.
 */
export class MemorySyncServer {
  readonly log: StoredWireEvent[] = []
  backendId = 'memory-backend'
  private readonly byId = new Map<string, StoredWireEvent>()
  private readonly versions = new Map<string, number>()
  private readonly listeners = new Set<(head: number) => void>()

  get head(): number {
    return this.log.length
  }

  push(request: PushRequest): PushResponse {
    const accepted: { id: string; seq: number }[] = []
    const fresh: StoredWireEvent[] = []
    const next = new Map<string, number>()
    const conflicts: StreamConflict[] = []
    const reused: string[] = []
    for (const e of request.events) {
      const existing = this.byId.get(e.id) ?? fresh.find((f) => f.id === e.id)
      if (existing) {
        if (
          JSON.stringify([existing.stream, existing.version, existing.data]) ===
          JSON.stringify([e.stream, e.version, e.data])
        ) {
          accepted.push({ id: e.id, seq: existing.seq })
        } else reused.push(e.id)
        continue
      }
      const expected = next.get(e.stream) ?? (this.versions.get(e.stream) ?? 0) + 1
      if (e.version !== expected) {
        if (!conflicts.some((c) => c.stream === e.stream))
          conflicts.push({ stream: e.stream, expected, actual: e.version })
        continue
      }
      next.set(e.stream, expected + 1)
      const stored = { ...structuredClone(e), seq: this.head + fresh.length + 1 }
      fresh.push(stored)
      accepted.push({ id: e.id, seq: stored.seq })
    }
    if (reused.length > 0) {
      throw new SyncHttpError(409, { code: 'ID_REUSED', message: 'id reused with other content', details: reused })
    }
    if (conflicts.length > 0) {
      throw new SyncHttpError(409, {
        code: 'CONFLICT',
        message: 'version conflict',
        streams: conflicts,
        head: this.head,
      })
    }
    for (const e of fresh) {
      this.log.push(e)
      this.byId.set(e.id, e)
      this.versions.set(e.stream, e.version)
    }
    if (fresh.length > 0) for (const l of this.listeners) l(this.head)
    return { accepted, head: this.head, backendId: this.backendId }
  }

  pull(after: number, limit: number): PullResponse {
    return { events: structuredClone(this.log.slice(after, after + limit)), head: this.head, backendId: this.backendId }
  }

  /** A transport for one client; the live channel pokes on every commit. */
  transport(): SyncTransport {
    return {
      push: async (request) => this.push(structuredClone(request)),
      pull: async (after, limit) => this.pull(after, limit),
      live: (_after, handlers) => {
        const listener = (head: number) => handlers.onEvents(head)
        this.listeners.add(listener)
        queueMicrotask(() => handlers.onConnected(true))
        return () => this.listeners.delete(listener)
      },
    }
  }
}
