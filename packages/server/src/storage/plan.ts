import type { StoredWireEvent, StreamConflict, WireEvent } from '@cairn/core/protocol'
import type { AppendResult } from './types.js'

/**
 * Stable JSON text of a value: object keys sorted, so equal content gives equal text. The sorted copies have
 * no prototype, so a `__proto__` key is copied as data instead of setting a prototype (and vanishing).
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v
    const sorted: Record<string, unknown> = Object.create(null)
    for (const key of Object.keys(v).sort()) sorted[key] = (v as Record<string, unknown>)[key]
    return sorted
  })
}

/** Whether a stored event has the same content as a pushed one (an identical retry). */
export function sameEvent(stored: WireEvent, incoming: WireEvent): boolean {
  return (
    stored.stream === incoming.stream &&
    stored.version === incoming.version &&
    stored.type === incoming.type &&
    canonicalJson(stored.data) === canonicalJson(incoming.data) &&
    canonicalJson(stored.meta ?? null) === canonicalJson(incoming.meta ?? null)
  )
}

/** What the adapter looked up inside its transaction, under the space lock. */
export interface AppendLookup {
  /** Current head of the space. */
  head: number
  /** Already stored events of the batch, by id. */
  existing: ReadonlyMap<string, StoredWireEvent>
  /** Stored version of each stream touched by the batch (absent = 0). */
  streamVersions: ReadonlyMap<string, number>
}

/** Decision for a batch: the result to return and, on success, the events to insert. */
export type AppendPlan = AppendResult

/**
 * Decides a batch append (pure): idempotent retries, `ID_REUSED`, per-stream version checks, and
 * the seqs of new events (head + 1, ...). Adapters call it under their per-space lock and insert `stored`.
 */
export function planAppend(events: readonly WireEvent[], lookup: AppendLookup): AppendPlan {
  const reused: string[] = []
  const conflicts = new Map<string, StreamConflict>()
  const nextVersion = new Map<string, number>()
  const accepted: { id: string; seq: number }[] = []
  const stored: StoredWireEvent[] = []
  const batchSeq = new Map<string, number>()
  let head = lookup.head

  for (const event of events) {
    const existing = lookup.existing.get(event.id)
    if (existing) {
      if (sameEvent(existing, event)) accepted.push({ id: event.id, seq: existing.seq })
      else reused.push(event.id)
      continue
    }
    const earlier = batchSeq.get(event.id)
    if (earlier !== undefined) {
      // same id twice in one batch: the second is a retry of the first
      const first = stored.find((e) => e.seq === earlier)
      if (first && sameEvent(first, event)) accepted.push({ id: event.id, seq: earlier })
      else reused.push(event.id)
      continue
    }
    const expected = nextVersion.get(event.stream) ?? (lookup.streamVersions.get(event.stream) ?? 0) + 1
    if (event.version !== expected) {
      if (!conflicts.has(event.stream))
        conflicts.set(event.stream, { stream: event.stream, expected, actual: event.version })
      continue
    }
    nextVersion.set(event.stream, expected + 1)
    head += 1
    const row: StoredWireEvent = { ...copyEvent(event), seq: head }
    stored.push(row)
    batchSeq.set(event.id, head)
    accepted.push({ id: event.id, seq: head })
  }

  if (reused.length > 0) return { ok: false, code: 'ID_REUSED', ids: reused, head: lookup.head }
  if (conflicts.size > 0) return { ok: false, code: 'CONFLICT', streams: [...conflicts.values()], head: lookup.head }
  return { ok: true, accepted, head, stored }
}

/** Copies only the wire fields of an event (drops unknown properties). */
export function copyEvent(event: WireEvent): WireEvent {
  const copy: WireEvent = {
    id: event.id,
    stream: event.stream,
    version: event.version,
    type: event.type,
    data: event.data,
  }
  if (event.meta !== undefined) copy.meta = event.meta
  return copy
}

/** Distinct streams and ids of a batch, for the adapters' lookups. */
export function batchKeys(events: readonly WireEvent[]): { ids: string[]; streams: string[] } {
  return { ids: [...new Set(events.map((e) => e.id))], streams: [...new Set(events.map((e) => e.stream))] }
}

/** The bytes a page budget counts for an event: the JSON text of its `data` and `meta` (what can be large). */
export function payloadBytes(event: WireEvent): number {
  return (
    Buffer.byteLength(JSON.stringify(event.data)) +
    (event.meta === undefined ? 0 : Buffer.byteLength(JSON.stringify(event.meta)))
  )
}
