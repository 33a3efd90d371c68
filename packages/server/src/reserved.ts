import { SYSTEM_STREAM_PREFIX, type WireEvent } from '@cairn/core/protocol'

/**
 * Ids of the server's `$SubjectForgotten` events start with this: a member could otherwise push an event with the id
 * a forget will use (it is computable) and make that forget fail as `ID_REUSED`.
 */
export const FORGOTTEN_ID_PREFIX = 'forgotten-'

/**
 * Why a client may not push this event, if it may not: its stream is the server's (`$cairn:…`), or its id is one
 * the server's own events use. Such a refusal is for good, decided before any validation or authorization hook.
 */
export function reservedReason(event: Pick<WireEvent, 'stream' | 'id'>): string | undefined {
  if (event.stream.startsWith(SYSTEM_STREAM_PREFIX)) return 'reserved stream'
  if (event.id.startsWith(FORGOTTEN_ID_PREFIX)) return 'reserved id'
  return undefined
}
