import type { Transaction } from 'dexie'
import { CairnError, HandlerError } from '../domain/errors'
import type { RecordedEvent } from '../domain/events'
import { schemaVersionOf } from '../domain/validation'
import type { EventRecord, MetaRecord, QuarantineRecord } from '../store/records'
import { type LoadedDomain, parseStream, type RuntimeProjection } from './loaded-domain'
import { applyEvent, applyEventGuarded, type RowRecorder, type WriteSink } from './projector'
import { isUnknownEvent, toRecorded } from './recorded'
import type { RowOverlay } from './row-overlay'
import { isConstraintError, toStorageError } from './storage-errors'

/**
 * The one step that turns a stored event into read-model rows, shared by the pull, catch-ups and rebuilds:
 * events this code does not know (an unknown type, or a newer schema version) are never handed to handlers;
 * they are noted so that the app version that knows them rebuilds what they feed. In guarded mode, an event a
 * projection cannot apply is quarantined for that projection and the rest of the log moves on.
 */
export class Projecting {
  /** `aggregate.Type@version` of events skipped because this code does not know them. */
  readonly unknown = new Set<string>()
  /** Events quarantined in this transaction. */
  readonly quarantined: QuarantineRecord[] = []

  constructor(
    private readonly tx: Transaction,
    private readonly loaded: LoadedDomain,
    private readonly writes: WriteSink,
    /** Isolate each projection's failure (slower: one round trip per event). */
    readonly guarded: boolean,
    private readonly now: () => number,
  ) {}

  /**
   * Applies `record` to `projections`; returns the event as handlers saw it, or undefined when it was skipped
   * as unknown. Outside guarded mode a failure throws (the caller retries the transaction guarded).
   */
  async apply(
    projections: readonly RuntimeProjection[],
    record: EventRecord,
    options: {
      recordUndo: boolean
      undoStart?: number
      /** Unguarded catch-up: per table name, the chunk's row overlay handlers write into (see RowOverlay). */
      overlays?: ReadonlyMap<string, RowOverlay>
      /** Unguarded only: where row access is reported instead of the undo log (see ApplyOptions). */
      recorder?: RowRecorder
    },
  ): Promise<RecordedEvent | undefined> {
    const aggregate = parseStream(record.stream).aggregate
    const definitions = this.loaded.aggregates.get(aggregate)?.events
    if (isUnknownEvent(record, definitions)) {
      this.unknown.add(`${aggregate}.${record.type}@${schemaVersionOf(record.meta)}`)
      return undefined
    }
    const event = toRecorded(record, definitions)
    if (projections.length === 0) return event
    const applyOptions = { recordUndo: options.recordUndo, writes: this.writes, undoStart: options.undoStart ?? 0 }
    if (!this.guarded) {
      await applyEvent(this.tx, projections, event, {
        ...applyOptions,
        ...(options.overlays ? { overlays: options.overlays } : {}),
        ...(options.recorder ? { recorder: options.recorder } : {}),
      })
      return event
    }
    for (const failure of await applyEventGuarded(this.tx, projections, event, applyOptions)) {
      const row: QuarantineRecord = {
        projection: failure.projection,
        eventId: record.id,
        stream: record.stream,
        type: record.type,
        position: record.lpos ?? 0,
        code: failure.error.code,
        message: failure.error.message,
        at: this.now(),
      }
      this.quarantined.push(row)
      this.writes.track(() => this.tx.table<QuarantineRecord>('quarantine').put(row), 'quarantine')
    }
    return event
  }

  /** Persists the unknown event kinds seen (meta `unknownEvents`), so an upgrade knows what to rebuild. */
  async saveUnknown(): Promise<void> {
    if (this.unknown.size === 0) return
    const meta = this.tx.table<MetaRecord>('meta')
    const known = ((await meta.get('unknownEvents'))?.value as string[] | undefined) ?? []
    const merged = [...new Set([...known, ...this.unknown])]
    if (merged.length !== known.length) this.writes.track(() => meta.put({ key: 'unknownEvents', value: merged }))
  }
}

/**
 * True when a transaction failed because a projection could not apply some event (a handler threw, or a
 * write hit a unique index or uncloneable data): running it again guarded isolates the event.
 */
export function isProjectionFailure(error: unknown): boolean {
  if (error instanceof HandlerError || (error instanceof CairnError && error.name === 'HandlerError')) {
    return String((error.details as { where?: unknown } | undefined)?.where ?? '').startsWith('projection ')
  }
  if (isConstraintError(error)) return true
  const code = toStorageError(error).code
  return code === 'NOT_CLONEABLE' || (error as { name?: unknown } | null)?.name === 'DataError'
}

/**
 * Runs a transaction optimistically (fast: no per-event round trips); if a projection failed on some event,
 * runs it again in guarded mode, where that event is quarantined and everything else applied.
 */
export async function withQuarantine<T>(run: (guarded: boolean) => Promise<T>): Promise<T> {
  try {
    return await run(false)
  } catch (error) {
    if (!isProjectionFailure(error)) throw error
    return run(true)
  }
}

/** The `aggregate.Type` part of an unknown-event key (`aggregate.Type@version`). */
export function unknownTypeOf(key: string): string {
  return key.slice(0, key.lastIndexOf('@'))
}
