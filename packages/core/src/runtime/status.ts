import type { RebuildProgress } from './rebuild'

/** What the runtime reports about itself; pushed to every listener on change. */
export interface RuntimeStatus {
  /** True once the database is open and every projection caught up. */
  ready: boolean
  /** A projection rebuild under way, with events done / total. */
  rebuilding: RebuildProgress | null
  /** Local commands not yet confirmed by a server. */
  pending: number
  /** The environment's idea of being online (`navigator.onLine`). */
  online: boolean
  /** Last local position committed. */
  position: number
}

/** Holds the status and notifies listeners when it changes. */
export class StatusHub<S extends object> {
  private listeners = new Set<(status: S) => void>()
  constructor(private current: S) {}

  get(): S {
    return this.current
  }

  update(patch: Partial<S>): void {
    let changed = false
    for (const [k, v] of Object.entries(patch)) {
      if ((this.current as Record<string, unknown>)[k] !== v) changed = true
    }
    if (!changed) return
    this.current = { ...this.current, ...patch }
    for (const l of this.listeners) l(this.current)
  }

  subscribe(listener: (status: S) => void): () => void {
    this.listeners.add(listener)
    listener(this.current)
    return () => this.listeners.delete(listener)
  }
}
