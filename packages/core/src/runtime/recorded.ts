import type { RecordedEvent } from '../domain/events'
import type { EventRecord } from '../store/records'
import { parseStream } from './loaded-domain'

/** The event as handlers see it, from its stored row. */
export function toRecorded(record: EventRecord): RecordedEvent {
  return {
    id: record.id,
    stream: record.stream,
    streamId: parseStream(record.stream).id,
    version: record.version,
    type: record.type,
    data: record.data,
    meta: record.meta,
    position: record.lpos ?? 0,
  }
}
