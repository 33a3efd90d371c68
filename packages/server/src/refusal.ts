import type { JsonValue, RefusedEvent, ServerErrorCode, WireEvent } from '@cairn/core/protocol'
import { SyncHttpError } from './errors.js'
import { reservedReason } from './reserved.js'

/** Answer of an {@link EventValidator}: `ok`, or why the event is refused. Same shape as `validateWireEvent`'s. */
export type ValidationOutcome =
  | { ok: true }
  | {
      ok: false
      code: 'UNKNOWN_EVENT_TYPE' | 'INVALID_EVENT_DATA' | 'NOT_ENCRYPTED'
      message: string
      issues?: unknown
    }

/** Validates one pushed event against the app's domain. */
export type EventValidator = (event: WireEvent) => Promise<ValidationOutcome> | ValidationOutcome

/** What an {@link EventAuthorizer} is asked: may this principal append this event to this space? */
export interface EventAuthorizationRequest {
  /** The authenticated principal; undefined when the request is anonymous (open server). */
  principal: string | undefined
  space: string
  /** The event as pushed: `stream`, `type`, `data`, `meta`, `id`, `version`. */
  event: WireEvent
}

/** Answer of an {@link EventAuthorizer}: `true` allows, `false` or `{ ok: false, message }` refuses (403). */
export type EventAuthorization = boolean | { ok: true } | { ok: false; message?: string }

/** Decides per event who may append what (e.g. only admins may `ColumnAdded`). */
export type EventAuthorizer = (request: EventAuthorizationRequest) => EventAuthorization | Promise<EventAuthorization>

/** Makes an arbitrary value (validator issues) safe to send as JSON. */
const toJsonValue = (value: unknown): JsonValue => {
  try {
    return JSON.parse(JSON.stringify(value ?? null)) as JsonValue
  } catch {
    return null
  }
}

/** What names a refused event: its id, and the command that produced it when its `meta` says. */
export interface NamedEvent {
  id: string
  meta?: { commandId?: unknown } | undefined
}

/** A refused event of a batch, naming the command that produced it when the event says (`meta.commandId`). */
export function refusedEvent(
  event: NamedEvent,
  code: ServerErrorCode,
  message: string,
  details?: JsonValue,
): RefusedEvent {
  const refused: RefusedEvent = { id: event.id, code, message }
  const commandId = event.meta?.commandId
  if (typeof commandId === 'string') refused.commandId = commandId
  if (details !== undefined) refused.details = details
  return refused
}

async function refusalOf(
  event: WireEvent,
  index: number,
  request: Omit<EventAuthorizationRequest, 'event'>,
  validate: EventValidator | undefined,
  authorizeEvent: EventAuthorizer | undefined,
): Promise<RefusedEvent | undefined> {
  // Hooks get copies: one that "only checks" but edits in place (an upcaster filling a default, a trim) must
  // not change what is stored, which is exactly what was sent.
  const outcome = validate ? await validate(structuredClone(event)) : { ok: true as const }
  if (!outcome.ok)
    return refusedEvent(event, outcome.code, outcome.message, {
      index,
      type: event.type,
      issues: toJsonValue(outcome.issues),
    })
  const allowed = authorizeEvent ? await authorizeEvent({ ...request, event: structuredClone(event) }) : true
  if (allowed === true || (typeof allowed === 'object' && allowed.ok)) return undefined
  const message = typeof allowed === 'object' && !allowed.ok && allowed.message ? allowed.message : undefined
  return refusedEvent(event, 'FORBIDDEN', message ?? `not allowed to append '${event.type}' to ${event.stream}`, {
    index,
    type: event.type,
  })
}

/**
 * Every event of a batch the server refuses for good, in batch order: first those a client may never push (a
 * reserved `$cairn:` stream or a reserved id: 403 `FORBIDDEN`, never shown to the hooks), then validation, then
 * authorization. Events whose index is in `stored` (already stored with identical content) are not judged again:
 * they were accepted once, and refusing their retry would make a client roll back what every other client applied.
 */
export async function refusalsOf(
  events: readonly WireEvent[],
  request: Omit<EventAuthorizationRequest, 'event'>,
  validate: EventValidator | undefined,
  authorizeEvent: EventAuthorizer | undefined,
  stored: ReadonlySet<number> = new Set(),
): Promise<RefusedEvent[]> {
  const refused: RefusedEvent[] = []
  // one at a time: validators and hooks may be costly or hit a database; a batch is bounded anyway
  for (const [index, event] of events.entries()) {
    const reserved = reservedReason(event)
    if (reserved) {
      refused.push(refusedEvent(event, 'FORBIDDEN', reserved, { index, stream: event.stream }))
      continue
    }
    if (stored.has(index) || (!validate && !authorizeEvent)) continue
    const refusal = await refusalOf(event, index, request, validate, authorizeEvent)
    if (refusal) refused.push(refusal)
  }
  return refused
}

/**
 * The error refusing a whole batch (nothing of it is stored): 422 when any event failed validation, else 403
 * `FORBIDDEN` for authorization, or 409 `ID_REUSED`. The body lists every refused event in `refused`.
 */
export function refusalError(
  refused: RefusedEvent[],
  batchSize: number,
  extra: { details?: JsonValue; head?: number } = {},
): SyncHttpError {
  const validation = refused.find(
    (r) => r.code === 'UNKNOWN_EVENT_TYPE' || r.code === 'INVALID_EVENT_DATA' || r.code === 'NOT_ENCRYPTED',
  )
  const first = validation ?? refused[0]!
  return new SyncHttpError(
    first.code,
    `${refused.length} of ${batchSize} events refused, nothing stored (first: ${first.message})`,
    { ...extra, refused },
  )
}
