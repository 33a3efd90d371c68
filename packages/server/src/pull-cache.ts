import type { StoredWireEvent } from '@cairn/core/protocol'

/** Bounds of the pull cache: serialized recent events kept in memory to answer pulls (`pullCache` option). */
export interface PullCacheOptions {
  /** Most events held (default 20,000; 0 turns the cache off). */
  maxEvents: number
  /** Most bytes of serialized events held (default 32 MiB; 0 turns the cache off). */
  maxBytes: number
}

/** Default pull cache bounds. */
export const DEFAULT_PULL_CACHE: PullCacheOptions = { maxEvents: 20_000, maxBytes: 32 * 1024 * 1024 }

/**
 * Serialized events by space and seq. A stored event never changes, so a pull of a recent range (what every
 * connected client asks for after each commit) is answered from memory: no storage read, no JSON parse and
 * re-stringify per row. Bounded in events and in bytes: the oldest entries go first.
 */
export class PullCache {
  private readonly spaces = new Map<string, Map<number, string>>()
  private readonly order: [string, number, number][] = []
  private start = 0
  private bytes = 0

  constructor(private readonly options: PullCacheOptions = DEFAULT_PULL_CACHE) {}

  /** Bytes held (UTF-16 length of the cached strings, a close proxy of their UTF-8 size). */
  get size(): { events: number; bytes: number } {
    return { events: this.order.length - this.start, bytes: this.bytes }
  }

  /**
   * The serialized events after..to, stopping after the one that brings the total to `maxBytes` or more;
   * undefined when any of them is not cached.
   */
  get(space: string, after: number, to: number, maxBytes = Number.POSITIVE_INFINITY): string[] | undefined {
    if (to <= after) return []
    const events = this.spaces.get(space)
    if (!events) return undefined
    const out: string[] = []
    let bytes = 0
    for (let seq = after + 1; seq <= to && bytes < maxBytes; seq++) {
      const json = events.get(seq)
      if (json === undefined) return undefined
      out.push(json)
      bytes += json.length
    }
    return out
  }

  /** Caches events read from storage; returns their serialized form. */
  put(space: string, events: readonly StoredWireEvent[]): string[] {
    const out = events.map((event) => JSON.stringify(event))
    if (this.options.maxEvents <= 0 || this.options.maxBytes <= 0) return out
    let map = this.spaces.get(space)
    if (!map) {
      map = new Map()
      this.spaces.set(space, map)
    }
    for (const [i, event] of events.entries()) {
      const json = out[i]!
      // one event larger than the whole budget would only evict everything else
      if (map.has(event.seq) || json.length > this.options.maxBytes) continue
      map.set(event.seq, json)
      this.order.push([space, event.seq, json.length])
      this.bytes += json.length
    }
    this.#evict()
    return out
  }

  #evict(): void {
    while (this.order.length - this.start > this.options.maxEvents || this.bytes > this.options.maxBytes) {
      const [space, seq, length] = this.order[this.start]!
      this.start += 1
      this.bytes -= length
      const map = this.spaces.get(space)
      map?.delete(seq)
      if (map?.size === 0) this.spaces.delete(space)
    }
    if (this.start > 10_000 && this.start * 2 > this.order.length) {
      this.order.splice(0, this.start)
      this.start = 0
    }
  }
}
