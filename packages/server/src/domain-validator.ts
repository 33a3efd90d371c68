import { type AnyDomain, findEventDefinition, schemaVersionOf, upcast, validateWireEvent } from '@cairn/core/domain'
import { ENCRYPTED_TYPE, isEnvelope, type JsonObject, type WireEvent } from '@cairn/core/protocol'
import type { EventValidator, ValidationOutcome } from './refusal.js'

const invalid = (message: string): ValidationOutcome => ({ ok: false, code: 'INVALID_EVENT_DATA', message })

/**
 * The validator of a server that is the authority of its spaces: an event must be of a type its stream's
 * aggregate declares, and its data — brought to the current schema version by the event's upcasters — must
 * pass the event's schema. Data written at a schema version the domain does not know yet is refused: deploy
 * the server's domain before (or with) the clients'.
 *
 * An end-to-end encrypted event can only be checked for what the server reads: its type must be one its
 * stream's aggregate declares (its data is not checked); a hidden type (`'$encrypted'`) is refused.
 */
export function domainValidator(domain: AnyDomain): EventValidator {
  return async (event: WireEvent) => {
    if (event.type === ENCRYPTED_TYPE)
      return {
        ok: false,
        code: 'UNKNOWN_EVENT_TYPE',
        message: 'this server checks event types against its domain: it cannot take an event whose type is hidden',
      }
    const definition = findEventDefinition(domain, event.stream, event.type)
    if (!definition) return validateWireEvent(domain, event)
    // End-to-end encrypted: only the type can be checked (the data is not readable here).
    if (isEnvelope(event.data)) return { ok: true }
    // The same rule as the clients' read path (absent or null = version 1): judging anything else would let
    // data pass here that every client upcasts into a shape the schema refuses.
    const sent = schemaVersionOf(event.meta)
    if (!Number.isInteger(sent) || sent < 1)
      return invalid(`meta.schemaVersion of '${event.type}' must be a positive integer`)
    if (sent > definition.version)
      return invalid(
        `'${event.type}' data is at schema version ${sent}, the server's domain knows up to ${definition.version}`,
      )
    let data: Record<string, unknown> | undefined
    try {
      // upcasters may edit their input in place (harmless in the client, which upcasts a copy)
      data = upcast(definition, structuredClone(event.data), sent)
    } catch (error) {
      return invalid(`upcasting '${event.type}' from version ${sent} failed: ${String(error)}`)
    }
    if (data === undefined) return invalid(`'${event.type}' has no upcaster from schema version ${sent}`)
    const current: { stream: string; type: string; data: unknown; meta: JsonObject } = {
      stream: event.stream,
      type: event.type,
      data,
      meta: { schemaVersion: definition.version },
    }
    return validateWireEvent(domain, current)
  }
}
