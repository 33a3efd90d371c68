/**
 * End-to-end encryption of event data for a space (issue 16): the worker seals `data` before a push and opens
 * it after a pull; the server stores and relays only the envelope.
 *
 * Format `enc1`: the wire event's `data` is `{ $cairn: 'enc1', kid, iv, ct }`. `kid` names the space key,
 * `iv` is 12 fresh random bytes per seal, `ct` is AES-GCM-256 ciphertext with its 16-byte tag (both base64url,
 * no padding) of the UTF-8 JSON `{ data }`, or `{ type, data }` with the wire `type` set to `'$encrypted'` when
 * the type is hidden. The additional authenticated data is the UTF-8 JSON
 * `['cairn/enc1', space, id, stream, version, wireType, canonicalJson(meta)]` (meta when given): a ciphertext opens
 * only as the event it was sealed for.
 * `$cairn` is reserved in event data.
 *
 * Threat model. The server (and a network observer, where TLS does not hide it) sees the space, every event's id,
 * stream, version, seq, kid, `meta` (in clear, authenticated when given), sizes (the ciphertext is as long as the
 * plaintext, plus 16 bytes), timing and who pushes; and the type unless hidden. Without a key it reads no data,
 * and cannot alter an event, move its data to another event or space, or re-type it undetected; it can still
 * withhold, delay or reorder whole events, and put plaintext data in place of an envelope (so refuse
 * `NOT_ENCRYPTED` events in an encrypted space). Any key holder can write events that open fine: AES-GCM proves
 * "a member", not which one. A removed member keeps the keys it had, so it reads every event sealed with them,
 * old or new; only rotating to a key it never gets protects later events (rotation does not re-seal old ones).
 * Data at rest on a device is not protected by this module.
 */
import { SyncError } from '../domain/errors'
import { ENCRYPTED_TYPE, ENVELOPE_FORMAT, type Envelope, isEnvelope } from '../protocol'
import { fromBase64url, toBase64url } from './base64url'
import { assertAesGcm256, type SpaceKey, type SpaceKeys } from './keys'

export { ENCRYPTED_TYPE, ENVELOPE_FORMAT, type Envelope, isEnvelope } from '../protocol'
export {
  DEFAULT_PBKDF2_ITERATIONS,
  keyFromPassphrase,
  type PassphraseOptions,
  type SpaceKey,
  type SpaceKeys,
  spaceKeys,
} from './keys'

/** An event to seal or open: what identifies it (bound to the ciphertext) and its type and data. */
export interface EventDataInput {
  /** The space the event belongs to. */
  space: string
  /** The event's id. */
  id: string
  /** The event's stream. */
  stream: string
  /** The event's 1-based version in its stream. */
  version: number
  /** Its type: the real one to seal; to open, the wire one (the real one, or {@link ENCRYPTED_TYPE}). */
  type: string
  /** Its data: the plaintext (any JSON value) to seal; to open, what came over the wire. */
  data: unknown
  /**
   * Its meta, bound to the ciphertext too when given (sealing and opening must both give it): the server then
   * cannot alter it (schema version, command id...) undetected.
   */
  meta?: unknown
}

/** Options of {@link encryptEventData}. */
export interface EncryptOptions {
  /** Seal the event type too; the wire type becomes {@link ENCRYPTED_TYPE}. Default `false`. */
  hideType?: boolean
}

/** What to send instead of the event's type and data. */
export interface SealedEventData {
  /** The wire type: the event's type, or {@link ENCRYPTED_TYPE} when hidden. */
  type: string
  /** The envelope, to send as the event's `data`. */
  data: Envelope
}

/**
 * Why an event could not be opened: `KEY_MISSING` (this device lacks key `kid`, or the provider failed: may
 * succeed later), `DECRYPT_FAILED` (malformed envelope, wrong key under that id, or the event or its ciphertext
 * altered: will not succeed later), `NOT_ENCRYPTED` (the data is not an envelope at all).
 */
export type DecryptFailureCode = 'KEY_MISSING' | 'DECRYPT_FAILED' | 'NOT_ENCRYPTED'

/** The outcome of {@link decryptEventData}: the real type and data, or why not. */
export type DecryptResult =
  | { ok: true; type: string; data: unknown }
  | { ok: false; code: DecryptFailureCode; kid?: string; message: string }

const subtle = () => globalThis.crypto.subtle
const utf8 = new TextEncoder()
const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
const aadOf = (event: EventDataInput, wireType: string) =>
  utf8.encode(
    JSON.stringify([
      'cairn/enc1',
      event.space,
      event.id,
      event.stream,
      event.version,
      wireType,
      // The event's meta, when given, as canonical JSON (a server may store JSON with its keys in another order).
      ...(event.meta === undefined ? [] : [canonicalJson(event.meta)]),
    ]),
  )

/** JSON text with object keys sorted: equal content, equal text. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (!isObject(v)) return v
    const sorted: Record<string, unknown> = Object.create(null)
    for (const key of Object.keys(v).sort()) sorted[key] = v[key]
    return sorted
  })
}

/**
 * Seals an event's data (and type, with `hideType`) with the space's current key, bound to the event's space,
 * id, stream, version and wire type. Each call draws a fresh IV, so sealing the same event twice gives two
 * different envelopes: seal an event once and resend that envelope on retries. With random 96-bit IVs one key
 * should seal at most 2^32 events (NIST SP 800-38D): rotate long before.
 *
 * @throws SyncError `KEY_MISSING` if the provider has no current key; `ENCRYPT_FAILED` (with `details.event`
 *   when the event itself is at fault: reserved type or key, not JSON) if the current key is not
 *   AES-GCM-256 or cannot encrypt, the data is not JSON or already an envelope, or the type is `'$encrypted'`.
 */
export async function encryptEventData(
  input: EventDataInput,
  keys: SpaceKeys,
  options: EncryptOptions = {},
): Promise<SealedEventData> {
  const failed = (message: string, cause?: unknown) =>
    new SyncError('ENCRYPT_FAILED', `Cannot encrypt event ${input.id}: ${message}`, cause && { cause: String(cause) })
  // The event itself cannot be sealed, whatever the key (`details.event`): as opposed to a key that cannot seal.
  const unsealable = (message: string, cause?: unknown) =>
    new SyncError('ENCRYPT_FAILED', `Cannot encrypt event ${input.id}: ${message}`, {
      event: true,
      ...(cause === undefined ? {} : { cause: String(cause) }),
    })
  if (input.type === ENCRYPTED_TYPE) throw unsealable(`the type '${ENCRYPTED_TYPE}' is reserved`)
  if (isObject(input.data) && '$cairn' in input.data)
    throw unsealable(
      `its data has the reserved key '$cairn' (${isEnvelope(input.data) ? 'already encrypted' : 'rename it'})`,
    )
  let current: SpaceKey
  try {
    current = await keys.current()
  } catch (error) {
    if (error instanceof SyncError) throw error
    throw new SyncError('KEY_MISSING', `No key to encrypt event ${input.id} with: ${String(error)}`)
  }
  try {
    assertAesGcm256(current.key, 'the current space key')
  } catch (error) {
    throw failed(String(error))
  }
  if (typeof current.id !== 'string' || current.id === '') throw failed('the current space key has no id')
  const wireType = options.hideType ? ENCRYPTED_TYPE : input.type
  let json: string | undefined
  try {
    json = JSON.stringify(input.data) // undefined for undefined, a function or a symbol; throws on BigInt or a cycle
  } catch (error) {
    throw unsealable('its data is not JSON', error)
  }
  if (json === undefined) throw unsealable('its data is not JSON')
  json = options.hideType ? `{"type":${JSON.stringify(input.type)},"data":${json}}` : `{"data":${json}}`
  const iv = globalThis.crypto.getRandomValues(new Uint8Array(12))
  let ct: ArrayBuffer
  try {
    ct = await subtle().encrypt(
      { name: 'AES-GCM', iv, additionalData: aadOf(input, wireType) },
      current.key,
      utf8.encode(json),
    )
  } catch (error) {
    throw failed('the current space key refused to encrypt', error)
  }
  return {
    type: wireType,
    data: { $cairn: ENVELOPE_FORMAT, kid: current.id, iv: toBase64url(iv), ct: toBase64url(new Uint8Array(ct)) },
  }
}

/**
 * Opens an event's data as pulled: checks the envelope, finds its key by `kid` and decrypts it against the
 * event's space, id, stream, version and wire type. Never throws or rejects: every failure is a
 * {@link DecryptResult} with a code (see {@link DecryptFailureCode}).
 */
export async function decryptEventData(input: EventDataInput, keys: SpaceKeys): Promise<DecryptResult> {
  try {
    return await open(input, keys)
  } catch (error) {
    // Only input that is not what the types say (e.g. a getter that throws) gets here.
    return { ok: false, code: 'DECRYPT_FAILED', message: `Event data could not be decrypted: ${String(error)}` }
  }
}

async function open(input: EventDataInput, keys: SpaceKeys): Promise<DecryptResult> {
  const { data, type } = input
  const failed = (message: string, kid?: string): DecryptResult => ({
    ok: false,
    code: 'DECRYPT_FAILED',
    ...(kid === undefined ? {} : { kid }),
    message: `Event ${String(input.id)}: ${message}`,
  })
  if (!isObject(data) || !('$cairn' in data)) {
    if (type === ENCRYPTED_TYPE) return failed(`its type is '${ENCRYPTED_TYPE}' but its data is no envelope`)
    return { ok: false, code: 'NOT_ENCRYPTED', message: `Event ${String(input.id)}: its data is not encrypted` }
  }
  const kid = typeof data.kid === 'string' && data.kid !== '' ? data.kid : undefined
  if (data.$cairn !== ENVELOPE_FORMAT) return failed(`unknown envelope format '${String(data.$cairn)}'`, kid)
  if (kid === undefined) return failed('the envelope has no key id')
  const iv = typeof data.iv === 'string' ? fromBase64url(data.iv) : undefined
  if (iv?.length !== 12) return failed('the envelope iv is not 12 bytes of base64url', kid)
  const ct = typeof data.ct === 'string' ? fromBase64url(data.ct) : undefined
  if (ct === undefined || ct.length < 16) return failed('the envelope ct is not base64url of at least 16 bytes', kid)
  let key: CryptoKey | undefined
  try {
    key = await keys.byId(kid)
  } catch (error) {
    return { ok: false, code: 'KEY_MISSING', kid, message: `Key '${kid}' could not be loaded: ${String(error)}` }
  }
  if (key === undefined)
    return { ok: false, code: 'KEY_MISSING', kid, message: `This device has no key '${kid}' for this space` }
  let plain: unknown
  try {
    const bytes = await subtle().decrypt({ name: 'AES-GCM', iv, additionalData: aadOf(input, String(type)) }, key, ct)
    plain = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
  } catch {
    return failed(`it does not decrypt with key '${kid}' (another key with that id, or the event was altered)`, kid)
  }
  if (!isObject(plain) || !('data' in plain)) return failed('the decrypted payload has no data', kid)
  if (type !== ENCRYPTED_TYPE) {
    if ('type' in plain) return failed('the decrypted payload has a type but the wire type is not hidden', kid)
    return { ok: true, type, data: plain.data }
  }
  if (typeof plain.type !== 'string' || plain.type === ENCRYPTED_TYPE)
    return failed('the decrypted payload of a hidden-type event has no type', kid)
  return { ok: true, type: plain.type, data: plain.data }
}
