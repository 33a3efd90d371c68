import { Dexie, type Table } from 'dexie'
import { commandContext, normalizeDecision, type PendingEvent } from '../domain/aggregate'
import { type CairnError, CommandRejected, HandlerError, StorageError, ValidationError } from '../domain/errors'
import type { EventMeta, RecordedEvent } from '../domain/events'
import type { EventRecord } from '../store/records'
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
  stream: string,
  version: number,
  meta: EventMeta,
  newId: () => string,
): EventRecord[] {
  return pending.map((p, i) => ({
    id: newId(),
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
  try {
    return transition(state, event)
  } catch (cause) {
    throw new HandlerError(`${aggregate.name}.evolve.${event.type}`, cause)
  }
}

/** Loads a stream's state from the log (inside the caller's transaction when `events` is transaction-bound). */
export async function loadStream(
  events: Table<EventRecord>,
  aggregate: RuntimeAggregate,
  stream: string,
): Promise<{ state: unknown; version: number; headId: string | undefined }> {
  const records = await events
    .where('[stream+version]')
    .between([stream, Dexie.minKey], [stream, Dexie.maxKey])
    .toArray()
  let state = aggregate.initialState()
  for (const record of records) state = evolve(aggregate, state, toRecorded(record, aggregate.events))
  const head = records[records.length - 1]
  return { state, version: head?.version ?? 0, headId: head?.id }
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
