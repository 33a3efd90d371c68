import { liveQuery } from 'dexie'
import type { SerializedCairnError } from '../domain/errors'
import { deepEqual } from './equal'
import { toStorageError } from './storage-errors'

/** What a live query subscriber receives: the new result, or the error the query threw. */
export type LiveResult<T = unknown> = { ok: true; value: T } | { ok: false; error: SerializedCairnError }

/** Receives live query results. */
export type LiveListener<T = unknown> = (result: LiveResult<T>) => void

interface Entry {
  listeners: Set<LiveListener>
  last: LiveResult | undefined
  unsubscribe: () => void
}

/**
 * Live queries over Dexie's `liveQuery`: each distinct query runs once however many subscribers it has,
 * re-runs only when the ranges it read change (in this context or another tab), and notifies subscribers
 * only when the result actually changed.
 */
export class LiveQueries {
  private readonly entries = new Map<string, Entry>()

  subscribe(key: string, run: () => Promise<unknown>, listener: LiveListener): () => void {
    let entry = this.entries.get(key)
    if (!entry) {
      const created: Entry = { listeners: new Set(), last: undefined, unsubscribe: () => {} }
      const publish = (result: LiveResult) => {
        const prev = created.last
        if (
          prev &&
          prev.ok === result.ok &&
          (result.ok ? deepEqual((prev as { value: unknown }).value, result.value) : false)
        ) {
          return
        }
        created.last = result
        for (const l of created.listeners) l(result)
      }
      const subscription = liveQuery(run).subscribe({
        next: (value) => publish({ ok: true, value }),
        error: (error) => publish({ ok: false, error: toStorageError(error).toJSON() }),
      })
      created.unsubscribe = () => subscription.unsubscribe()
      this.entries.set(key, created)
      entry = created
    } else if (entry.last) {
      listener(entry.last)
    }
    entry.listeners.add(listener)
    const target = entry
    return () => {
      target.listeners.delete(listener)
      if (target.listeners.size === 0) {
        target.unsubscribe()
        if (this.entries.get(key) === target) this.entries.delete(key)
      }
    }
  }

  /** Number of distinct live queries running. */
  get size(): number {
    return this.entries.size
  }

  closeAll(): void {
    for (const e of this.entries.values()) e.unsubscribe()
    this.entries.clear()
  }
}
