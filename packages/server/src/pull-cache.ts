import type { StoredWireEvent } from '@cairn/core/protocol'

/**
 * Serialized events by space and seq. A stored event never changes, so a pull of a recent range (what every
 * connected client asks for after each commit) is answered from memory: no storage read, no JSON parse and
 * re-stringify per row. Bounded: the oldest entries go first.
 */
export class PullCache {
  private readonly spaces = new Map<string, Map<number, string>>()
  private readonly order: [string, number][] = []
  private start = 0

  constructor(private readonly capacity = 20_000) {}

  /** The serialized events after..to, or undefined when any of them is not cached. */
  get(space: string, after: number, to: number): string[] | undefined {
    const events = this.spaces.get(space)
    if (!events || to <= after) return to <= after ? [] : undefined
    const out: string[] = []
    for (let seq = after + 1; seq <= to; seq++) {
      const json = events.get(seq)
      if (json === undefined) return undefined
      out.push(json)
    }
    return out
  }

  /** Caches events read from storage; returns their serialized form. */
  put(space: string, events: readonly StoredWireEvent[]): string[] {
    let map = this.spaces.get(space)
    if (!map) {
      map = new Map()
      this.spaces.set(space, map)
    }
    const out: string[] = []
    for (const event of events) {
      const json = JSON.stringify(event)
      out.push(json)
      if (this.capacity <= 0 || map.has(event.seq)) continue
      map.set(event.seq, json)
      this.order.push([space, event.seq])
    }
    while (this.order.length - this.start > this.capacity) {
      const [oldSpace, seq] = this.order[this.start] as [string, number]
      this.start += 1
      this.spaces.get(oldSpace)?.delete(seq)
    }
    if (this.start > 10_000 && this.start * 2 > this.order.length) {
      this.order.splice(0, this.start)
      this.start = 0
    }
    return out
  }
}
