import type { StoredWireEvent } from '@cairn/core/protocol'

// Live fan-out hands the same event objects to every session: serialize each once, not once per session.
const cache = new WeakMap<StoredWireEvent, string>()

/** The JSON text of a stored event, computed once per event object. */
export function serialized(event: StoredWireEvent): string {
  let json = cache.get(event)
  if (json === undefined) {
    json = JSON.stringify(event)
    cache.set(event, json)
  }
  return json
}
