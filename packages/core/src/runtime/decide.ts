import { Dexie, type Table } from 'dexie'
import { commandContext, normalizeDecision, type PendingEvent } from '../domain/aggregate'
import { type CairnError, CommandRejected, HandlerError, StorageError, ValidationError } from '../domain/errors'
import type { EventMeta, RecordedEvent } from '../domain/events'
import { schemaVersionOf } from '../domain/validation'
import type { EventRecord, SnapshotRecord } from '../store/records'
import type { RuntimeAggregate } from './loaded-domain'
import { toRecorded } from './recorded'

/** Runs a command handler: the events it decided, or the error (rejection, throw, invalid event data). */
export function decide(
  aggregate: RuntimeAggregate,
  path: string,
  state: unknown,
  input: unknown,
  info: { id: string; version: number; now: number; commandId: string },
): { events: PendingEvent[] } | { error: CairnError } {
  const handler = aggregate.commands[path.slice(path.indexOf('.') + 1)]
  if (typeof handler !== 'function')
    return { error: new HandlerError(`command '${path}'`, new Error('no such command')) }
  let events: PendingEvent[]
  try {
    const decision = normalizeDecision(handler(state, input, commandContext(info)))
    if (!Array.isArray(decision)) {
      const r = decision as { code: string; message?: string; details?: unknown }
      return { error: new CommandRejected(r.code, r.message, r.details) }
    }
    events = decision
  } catch (cause) {
    return { error: new HandlerError(`command '${path}'`, cause) }
  }
  const invalid = validateEvents(aggregate, events)
  return invalid ? { error: invalid } : { events }
}

/** Builds the stored rows of decided events, versions following `version`. */
export function eventRecords(
  pending: PendingEvent[],
  aggregate: RuntimeAggregate,
  space: string,
  stream: string,
  version: number,
  meta: EventMeta,
  newId: () => string,
): EventRecord[] {
  return pending.map((p, i) => ({
    id: newId(),
    space,
    stream,
    version: version + i + 1,
    type: p.type,
    data: p.data as Record<string, unknown>,
    meta: { ...meta, schemaVersion: aggregate.events[p.type]?.version ?? 1 },
  }))
}

/** Folds one event into a state; a throwing `evolve` becomes a HandlerError. */
export function evolve(aggregate: RuntimeAggregate, state: unknown, event: RecordedEvent): unknown {
  const transition = aggregate.evolve[event.type]
  if (!transition) return state
  // An event of a newer schema than this code knows (written by a newer app version): its data cannot be
  // trusted to have the shape this transition expects, so the state ignores it until the app is updated.
  const definition = Object.hasOwn(aggregate.events, event.type) ? aggregate.events[event.type] : undefined
  if (definition && schemaVersionOf(event.meta) > definition.version) return state
  try {
    return transition(state, event)
  } catch (cause) {
    throw new HandlerError(`${aggregate.name}.evolve.${event.type}`, cause)
  }
}

/**
 * Loads a stream's state (inside the caller's transaction when the tables are transaction-bound): from the
 * aggregate's snapshot when there is a usable one — same snapshot version as the code, and the event it was
 * taken at still in the log (a rebase may have replaced it) — plus the tail; else from the whole stream.
 */
export async function loadStream(
  events: Table<EventRecord>,
  aggregate: RuntimeAggregate,
  stream: string,
  snapshots?: Table<SnapshotRecord>,
): Promise<{ state: unknown; version: number; headId: string | undefined }> {
  const range = (from: number) =>
    events.where('[stream+version]').between([stream, from], [stream, Dexie.maxKey]).toArray()
  const config = aggregate.snapshot
  const snapshot = config && snapshots ? await snapshots.get(stream) : undefined
  if (snapshot && config && snapshot.snapshotVersion === config.version) {
    const tail = await range(snapshot.version)
    if (tail[0] && headKey(tail[0]) === snapshot.headId) {
      let state = snapshot.state
      for (const record of tail.slice(1)) state = evolve(aggregate, state, toRecorded(record, aggregate.events))
      const head = tail[tail.length - 1] as EventRecord
      return { state, version: head.version, headId: headKey(head) }
    }
  }
  const records = await range(Dexie.minKey as unknown as number)
  let state = aggregate.initialState()
  for (const record of records) state = evolve(aggregate, state, toRecorded(record, aggregate.events))
  const head = records[records.length - 1]
  return { state, version: head?.version ?? 0, headId: head ? headKey(head) : undefined }
}

/**
 * What identifies a stream's head for cached states and snapshots: its event id *and* its local position. A
 * rebase that re-runs a command keeps the command's event ids but gives the events new positions (positions
 * are never reused), so a state decided on the old events is never taken for the new ones.
 */
export function headKey(record: EventRecord): string {
  return `${record.id}@${record.lpos ?? 0}`
}

/** The snapshot to write after a command took a stream from `before` to `after`, if a multiple of `every` was crossed. */
export function snapshotDue(aggregate: RuntimeAggregate, before: number, after: number): boolean {
  const every = aggregate.snapshot?.every
  return every !== undefined && every > 0 && Math.floor(before / every) < Math.floor(after / every)
}

function validateEvents(aggregate: RuntimeAggregate, pending: PendingEvent[]): CairnError | undefined {
  for (const p of pending) {
    const def = aggregate.events[p.type]
    if (!def) return new HandlerError(`aggregate '${aggregate.name}'`, new Error(`unknown event type '${p.type}'`))
    if (typeof p.data !== 'object' || p.data === null || Array.isArray(p.data)) {
      return new ValidationError(`Data of ${p.type} must be an object`, [{ message: 'expected an object' }])
    }
    if (!def.schema) continue
    const result = def.schema['~standard'].validate(p.data)
    if (result instanceof Promise) {
      return new StorageError(
        'FAILED',
        `The schema of ${p.type} is asynchronous; event schemas must validate synchronously`,
      )
    }
    if (result.issues) {
      return new ValidationError(
        `Data of ${p.type} failed its schema`,
        result.issues.map((i) => ({ message: i.message })),
      )
    }
  }
  return undefined
}
