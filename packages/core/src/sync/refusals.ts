import type { ErrorBody } from '../protocol'
import type { EventRecord } from '../store/records'
import type { Refusal } from './apply-pull'
import type { SyncHttpError } from './transport'

/** Server answers that refuse some events for good: retrying the same events can never succeed. */
const REFUSAL_CODES = new Set(['UNKNOWN_EVENT_TYPE', 'INVALID_EVENT_DATA', 'NOT_ENCRYPTED', 'FORBIDDEN', 'ID_REUSED'])

/**
 * The commands a server answer refuses for good: the events it lists in `refused` (or names in `details`,
 * as older servers do), or the one command of a batch that is too large on its own.
 */
export function refusalsOf(error: SyncHttpError, batch: EventRecord[]): Map<string, Refusal> {
  const refusals = new Map<string, Refusal>()
  const body: ErrorBody = error.body
  const commandOf = new Map(batch.map((e) => [e.id, e.meta?.commandId]))
  const inBatch = new Set(commandOf.values())
  // Only commands of this batch can be refused by its answer: anything else would be no progress at all.
  const add = (eventId: string, code: string, message: string, commandId?: string) => {
    const id = commandOf.get(eventId) ?? commandId
    if (id !== undefined && inBatch.has(id) && !refusals.has(id)) refusals.set(id, { commandId: id, code, message })
  }
  if (error.status === 413 && !body.refused?.length) {
    const first = batch[0]
    if (first) add(first.id, 'PAYLOAD_TOO_LARGE', `${body.message} (the command alone is larger than a push may be)`)
    return refusals
  }
  // Any answer that lists refused events (422, 403, 409 ID_REUSED, a 400 for unstorable data) refuses them.
  for (const r of body.refused ?? []) add(r.id, r.code, r.message, r.commandId)
  if (refusals.size > 0 || !REFUSAL_CODES.has(body.code)) return refusals
  for (const id of idsIn(body.details)) add(id, body.code, body.message)
  return refusals
}

/** Number of distinct commands in a batch. */
export function commandsIn(batch: EventRecord[]): number {
  return new Set(batch.map((e) => e.meta?.commandId)).size
}

/** Event ids named in an error's details (`{ ids: [...] }`, `{ id }`, or a list of ids). */
function idsIn(details: unknown): string[] {
  if (Array.isArray(details)) return details.filter((d): d is string => typeof d === 'string')
  if (details && typeof details === 'object') {
    const d = details as { ids?: unknown; id?: unknown }
    if (Array.isArray(d.ids)) return d.ids.filter((x): x is string => typeof x === 'string')
    if (typeof d.id === 'string') return [d.id]
  }
  return []
}
