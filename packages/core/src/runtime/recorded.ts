import type { EventDefinition, RecordedEvent } from '../domain/events'
import { upcast } from '../domain/events'
import { schemaVersionOf } from '../domain/validation'
import type { EventRecord } from '../store/records'
import { parseStream } from './loaded-domain'

/**
 * The event as handlers see it, from its stored row. With the aggregate's event definitions it runs the upcaster
 * chain, so handlers only ever see current-version data; stored rows are never rewritten. An event type (or
 * version) the code does not know is passed through unchanged: handlers without a transition ignore it.
 */
export function toRecorded(record: EventRecord, events?: Readonly<Record<string, EventDefinition>>): RecordedEvent {
  let data = record.data
  let meta = record.meta
  const definition = events && Object.hasOwn(events, record.type) ? events[record.type] : undefined
  if (definition) {
    const from = schemaVersionOf(record.meta)
    const current = upcast(definition, record.data, from)
    if (current && from !== definition.version) {
      data = current
      meta = { ...record.meta, schemaVersion: definition.version }
    }
  }
  return {
    id: record.id,
    space: record.space,
    stream: record.stream,
    streamId: parseStream(record.stream).id,
    version: record.version,
    type: record.type,
    data,
    meta,
    position: record.lpos ?? 0,
  }
}

/** True when the code has no definition for the event's type, or the event is newer than its definition. */
export function isUnknownEvent(
  record: EventRecord,
  events: Readonly<Record<string, EventDefinition>> | undefined,
): boolean {
  const definition = events && Object.hasOwn(events, record.type) ? events[record.type] : undefined
  return !definition || schemaVersionOf(record.meta) > definition.version
}
