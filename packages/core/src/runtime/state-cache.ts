/** Cached state of one stream, valid while the stream's head is `headId` (event id and position, see `headKey`). */
export interface CachedState {
  state: unknown
  version: number
  headId: string | undefined
}

/** A small LRU of aggregate states, revalidated by the caller against the stream head. */
export class StateCache {
  private readonly entries = new Map<string, CachedState>()
  constructor(private readonly capacity = 1000) {}

  get(stream: string): CachedState | undefined {
    const entry = this.entries.get(stream)
    if (entry) {
      this.entries.delete(stream)
      this.entries.set(stream, entry)
    }
    return entry
  }

  set(stream: string, entry: CachedState): void {
    this.entries.delete(stream)
    this.entries.set(stream, entry)
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value
      if (oldest !== undefined) this.entries.delete(oldest)
    }
  }

  delete(stream: string): void {
    this.entries.delete(stream)
  }

  clear(): void {
    this.entries.clear()
  }
}
