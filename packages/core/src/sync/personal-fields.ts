/**
 * Personal fields as sync sees them (crypto-shredding, issue 16): which events hold whose personal data, and the
 * step that seals those fields with their subject's key before a push or opens them after a pull.
 */

import { type FieldEnvelope, isFieldEnvelope, openField, sealField } from '../crypto/personal'
import { type DeclaredPersonalData, REDACTED, upcast } from '../domain/events'
import { schemaVersionOf } from '../domain/validation'
import { isSubject, MAX_SUBJECT_LENGTH } from '../protocol'
import { type LoadedDomain, parseStream } from '../runtime/loaded-domain'
import type { SubjectKeyState } from './subject-keys'

/** An event as far as its personal data goes. */
export interface EventLike {
  stream: string
  type: string
  data: Record<string, unknown>
  meta?: { schemaVersion?: unknown } | null | undefined
}

/** An event's personal data: its type's declaration, and the subject (or why its `subject` function gives none). */
export interface PersonalView {
  personal: DeclaredPersonalData<object>
  subject: string | { error: string }
}

/**
 * The personal data of an event, at whatever schema version it was written: the declaration of its type, and the
 * subject as the declaration's `subject` function gives it on the data brought to the current version (the
 * function is written for that shape; data a newer app wrote is given as it is). The fields are the declared
 * names, in the data as stored.
 */
export function personalOf(loaded: LoadedDomain, e: EventLike): PersonalView | undefined {
  const definition = loaded.aggregates.get(parseStream(e.stream).aggregate)?.events[e.type]
  const personal = definition?.personal as DeclaredPersonalData<object> | undefined
  if (!definition || !personal) return undefined
  let current: object = e.data
  const version = schemaVersionOf(e.meta)
  if (version !== definition.version) {
    try {
      current = upcast(definition, structuredClone(e.data), version) ?? e.data
    } catch {
      current = e.data
    }
  }
  return { personal, subject: subjectOf(personal, current) }
}

/** The subject of an event's personal data, or an error message when its `subject` function gives none. */
export function subjectOf(personal: DeclaredPersonalData<object>, data: object): string | { error: string } {
  let subject: unknown
  try {
    subject = personal.subject(data)
  } catch (error) {
    return { error: `its personal.subject threw: ${error instanceof Error ? error.message : String(error)}` }
  }
  if (!isSubject(subject))
    return {
      error: `its personal.subject gave ${JSON.stringify(subject)}, not 1..${MAX_SUBJECT_LENGTH} characters without control characters`,
    }
  return subject
}

/**
 * The data with its personal fields sealed with the subject's key; with {@link REDACTED} in them when the
 * subject was forgotten (its data must not reach the server in clear, and cannot be sealed any more).
 */
export async function sealPersonal(
  space: string,
  id: string,
  data: Record<string, unknown>,
  personal: DeclaredPersonalData<object>,
  subject: string,
  key: SubjectKeyState,
): Promise<Record<string, unknown>> {
  const out = { ...data }
  for (const field of personal.fields) {
    // An absent or undefined field stays so: it is not in the data as the server gets it (JSON drops it).
    if (out[field] === undefined || out[field] === REDACTED) continue
    if (key === undefined) throw new Error(`no key for subject ${subject}`)
    out[field] =
      key === 'forgotten' ? REDACTED : await sealField(out[field], { space, eventId: id, field, subject }, key)
  }
  return out
}

/** The subjects whose sealed fields a pulled event carries. */
export function sealedSubjects(data: unknown): string[] {
  if (typeof data !== 'object' || data === null) return []
  return Object.values(data)
    .filter(isFieldEnvelope)
    .map((f) => f.sub)
}

/** Why a pulled event's personal fields could not be opened. */
export interface PersonalOpenFailure {
  code: 'SUBJECT_KEY_MISSING' | 'DECRYPT_FAILED'
  message: string
  subject: string
}

/**
 * A pulled event's data with its sealed personal fields opened: {@link REDACTED} where the subject was forgotten.
 * A subject without a key (never created, or this server lost it) or a field that does not open is a failure.
 */
export async function openPersonal(
  space: string,
  id: string,
  data: Record<string, unknown>,
  keys: ReadonlyMap<string, SubjectKeyState>,
): Promise<{ data: Record<string, unknown> } | PersonalOpenFailure> {
  const out = { ...data }
  for (const [field, value] of Object.entries(data)) {
    if (!isFieldEnvelope(value)) continue
    const envelope: FieldEnvelope = value
    const key = keys.get(envelope.sub)
    if (key === 'forgotten') {
      out[field] = REDACTED
      continue
    }
    if (key === undefined)
      return {
        code: 'SUBJECT_KEY_MISSING',
        subject: envelope.sub,
        message: `the key store has no key for subject '${envelope.sub}' (field '${field}' of event ${id})`,
      }
    const opened = await openField(envelope, { space, eventId: id, field }, key)
    if (!opened.ok)
      return {
        code: 'DECRYPT_FAILED',
        subject: envelope.sub,
        message: `field '${field}' of event ${id} does not open with subject '${envelope.sub}''s key (altered?)`,
      }
    out[field] = opened.value
  }
  return { data: out }
}
