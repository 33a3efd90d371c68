import type { LiveListener, LiveNotification } from './types.js'

/** Per-space listener registry used by every adapter for in-process fan-out. */
export class ListenerRegistry {
  readonly #bySpace = new Map<string, Set<LiveListener>>()

  /** Adds a listener; returns its removal function. */
  add(space: string, listener: LiveListener): () => void {
    let set = this.#bySpace.get(space)
    if (!set) {
      set = new Set()
      this.#bySpace.set(space, set)
    }
    set.add(listener)
    return () => {
      const current = this.#bySpace.get(space)
      if (!current) return
      current.delete(listener)
      if (current.size === 0) this.#bySpace.delete(space)
    }
  }

  /** Spaces that currently have listeners. */
  spaces(): string[] {
    return [...this.#bySpace.keys()]
  }

  /** Notifies every listener of `space`; a throwing listener never affects the others. */
  emit(space: string, notification: LiveNotification): void {
    const set = this.#bySpace.get(space)
    if (!set) return
    for (const listener of [...set]) {
      try {
        listener(notification)
      } catch {
        // listeners must not throw; ignore to protect the committing request
      }
    }
  }

  clear(): void {
    this.#bySpace.clear()
  }
}
