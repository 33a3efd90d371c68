/**
 * Personal fields of events, encrypted with a key per subject (crypto-shredding, issue 16). Before a push, each
 * personal field's value becomes `{ $cairn: 'pii1', sub, kid, iv, ct }`: AES-GCM-256 with the subject's key (from
 * the space's key store on the server), a fresh 12-byte IV, of the UTF-8 JSON `{"v": value}`, with the additional
 * authenticated data `["cairn/pii1", space, eventId, field, subject]`. When the subject is forgotten its key is
 * destroyed: the envelope stays in the log, and nobody can open it again.
 */
import { fromBase64url, toBase64url } from './base64url'

/** Marker and version of a personal field's envelope (the value of `$cairn`). */
export const FIELD_ENVELOPE_FORMAT = 'pii1'

/** A personal field's value as it travels and is stored on the server. */
export type FieldEnvelope = {
  $cairn: typeof FIELD_ENVELOPE_FORMAT
  /** The subject whose key sealed it. */
  sub: string
  /** Id of that key. */
  kid: string
  iv: string
  ct: string
}

/** A subject's key, as a device holds it. */
export interface SubjectCryptoKey {
  kid: string
  key: CryptoKey
}

/** Where a field is: what its ciphertext is bound to. */
export interface FieldPlace {
  space: string
  eventId: string
  field: string
  subject: string
}

const utf8 = new TextEncoder()
const aadOf = (place: FieldPlace) =>
  utf8.encode(JSON.stringify(['cairn/pii1', place.space, place.eventId, place.field, place.subject]))

/** Whether a value is a personal field's envelope. */
export function isFieldEnvelope(value: unknown): value is FieldEnvelope {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const v = value as Record<string, unknown>
  return (
    v.$cairn === FIELD_ENVELOPE_FORMAT &&
    typeof v.sub === 'string' &&
    typeof v.kid === 'string' &&
    typeof v.iv === 'string' &&
    typeof v.ct === 'string'
  )
}

/** Seals one personal field's value with its subject's key. */
export async function sealField(value: unknown, place: FieldPlace, key: SubjectCryptoKey): Promise<FieldEnvelope> {
  const iv = globalThis.crypto.getRandomValues(new Uint8Array(12))
  const ct = await globalThis.crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: aadOf(place) },
    key.key,
    utf8.encode(JSON.stringify({ v: value })),
  )
  return {
    $cairn: FIELD_ENVELOPE_FORMAT,
    sub: place.subject,
    kid: key.kid,
    iv: toBase64url(iv),
    ct: toBase64url(new Uint8Array(ct)),
  }
}

/**
 * Opens one personal field with its subject's key: its value, or not ok when the envelope does not open with it
 * (another key id, altered, or sealed for another place). Never throws.
 */
export async function openField(
  envelope: FieldEnvelope,
  place: Omit<FieldPlace, 'subject'>,
  key: SubjectCryptoKey,
): Promise<{ ok: true; value: unknown } | { ok: false }> {
  if (key.kid !== envelope.kid) return { ok: false }
  try {
    const iv = fromBase64url(envelope.iv)
    const ct = fromBase64url(envelope.ct)
    if (iv?.length !== 12 || ct === undefined) return { ok: false }
    const bytes = await globalThis.crypto.subtle.decrypt(
      { name: 'AES-GCM', iv, additionalData: aadOf({ ...place, subject: envelope.sub }) },
      key.key,
      ct,
    )
    const plain = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as { v?: unknown }
    return typeof plain === 'object' && plain !== null && 'v' in plain ? { ok: true, value: plain.v } : { ok: false }
  } catch {
    return { ok: false }
  }
}

/** Imports a subject key as the server hands it (base64url of 32 bytes), non-extractable. */
export async function importSubjectKey(kid: string, raw: string): Promise<SubjectCryptoKey> {
  const bytes = fromBase64url(raw)
  if (bytes?.length !== 32) throw new TypeError(`subject key ${kid} is not 32 bytes of base64url`)
  const key = await globalThis.crypto.subtle.importKey('raw', bytes, { name: 'AES-GCM', length: 256 }, false, [
    'encrypt',
    'decrypt',
  ])
  return { kid, key }
}
