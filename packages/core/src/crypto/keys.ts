/**
 * Where a space's encryption keys come from: the app. It hands Cairn a {@link SpaceKeys} provider, built from
 * `CryptoKey`s it already holds ({@link spaceKeys}), from passphrases ({@link keyFromPassphrase}), or its own
 * implementation (e.g. keys unwrapped from a key server on demand). Cairn never sends key material; keys given to
 * `joinSpace` are kept in the local database as non-extractable `CryptoKey`s (IndexedDB stores them without
 * exposing their bytes).
 */
import { SyncError } from '../domain/errors'
import { toBase64url } from './base64url'

/** One key of a space: its public id (written in clear into every envelope it seals) and the AES-GCM-256 key. */
export interface SpaceKey {
  /**
   * Public key id, non-empty. It travels in clear beside every ciphertext, so it must say nothing about the key
   * (never a hash or a prefix of the key bytes). Two different keys must never share an id.
   */
  id: string
  /** An AES-GCM key of 256 bits with `encrypt` and/or `decrypt` usage; best non-extractable. */
  key: CryptoKey
}

/**
 * A space's keys, as the app provides them. `current()` is the key new events are sealed with (after a
 * rotation, the newest); `byId(kid)` any key that may still be needed to read old events.
 */
export interface SpaceKeys {
  /** The key to encrypt new events with. Rejects (or throws) when this device has no key to write with. */
  current(): Promise<SpaceKey>
  /** The key of id `id`, or `undefined` when this device does not have it (the event stays unreadable here). */
  byId(id: string): Promise<CryptoKey | undefined>
}

/** Throws unless `key` is an AES-GCM-256 `CryptoKey`, the only cipher of envelope format `enc1`. */
export function assertAesGcm256(key: unknown, what: string): asserts key is CryptoKey {
  const algorithm = (key as { algorithm?: { name?: unknown; length?: unknown } } | null)?.algorithm
  if (algorithm?.name !== 'AES-GCM' || algorithm.length !== 256)
    throw new TypeError(`${what} must be an AES-GCM CryptoKey of 256 bits`)
}

/**
 * A {@link SpaceKeys} over a fixed list: every key is readable by its id, the last one is current. Rotation is a
 * longer list: `spaceKeys([k1, k2])` writes with `k2` and still reads events sealed with `k1`. An empty list
 * is allowed (a device still waiting for its key): it reads nothing and cannot write.
 *
 * @throws TypeError if a key is not AES-GCM-256, an id is empty, or one id names two different keys.
 */
export function spaceKeys(keys: readonly SpaceKey[]): SpaceKeys {
  const byId = new Map<string, CryptoKey>()
  for (const { id, key } of keys) {
    if (typeof id !== 'string' || id === '') throw new TypeError('a space key needs a non-empty id')
    assertAesGcm256(key, `space key '${id}'`)
    const known = byId.get(id)
    if (known !== undefined && known !== key) throw new TypeError(`two different space keys have the id '${id}'`)
    byId.set(id, key)
  }
  const current = keys.at(-1)
  const entry = current && { id: current.id, key: current.key }
  return {
    current: async () => {
      if (!entry) throw new SyncError('KEY_MISSING', 'This device has no key to encrypt events of this space with')
      return entry
    },
    byId: async (id) => byId.get(id),
  }
}

/** Options of {@link keyFromPassphrase}. */
export interface PassphraseOptions {
  /**
   * PBKDF2 salt, non-empty, the same on every device of the space and different per space (e.g.
   * `'my-app/space/' + spaceId`, or a random value stored beside the space). Not secret.
   */
  salt: string
  /** PBKDF2-SHA-256 iterations; default {@link DEFAULT_PBKDF2_ITERATIONS}. Every device must use the same. */
  iterations?: number
}

/** PBKDF2-SHA-256 iterations by default: OWASP's recommendation for PBKDF2-HMAC-SHA-256 (2023). */
export const DEFAULT_PBKDF2_ITERATIONS = 310_000

const utf8 = new TextEncoder()
const hkdf = (info: string) => ({ name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: utf8.encode(info) })

/**
 * A space key derived from a passphrase: the same passphrase and options give the same key and id on every
 * device, so devices that share the passphrase read each other's events. Rotation = a new passphrase (or salt):
 * `spaceKeys([await keyFromPassphrase(old, o), await keyFromPassphrase(new, o)])`.
 *
 * PBKDF2-SHA-256 stretches the passphrase (NFC-normalized, so it matches whatever keyboard typed it) into 256
 * bits; HKDF-SHA-256 expands those into two independent values: the AES-GCM-256 key (non-extractable) and 128
 * bits whose base64url is the id. The id reveals nothing about the key, but like any ciphertext it lets whoever
 * sees it test passphrase guesses offline, at the cost of one PBKDF2 run per guess: a strong passphrase is what
 * keeps the data secret.
 *
 * @throws TypeError if the passphrase or salt is empty or `iterations` is not a positive integer.
 */
export async function keyFromPassphrase(passphrase: string, options: PassphraseOptions): Promise<SpaceKey> {
  const { salt, iterations = DEFAULT_PBKDF2_ITERATIONS } = options
  if (typeof passphrase !== 'string' || passphrase === '') throw new TypeError('the passphrase must not be empty')
  if (typeof salt !== 'string' || salt === '') throw new TypeError('the salt must not be empty')
  if (!Number.isSafeInteger(iterations) || iterations < 1) throw new TypeError('iterations must be a positive integer')
  const subtle = globalThis.crypto.subtle
  const secret = await subtle.importKey('raw', utf8.encode(passphrase.normalize('NFC')), 'PBKDF2', false, [
    'deriveBits',
  ])
  // One PBKDF2 output block (256 bits): asking PBKDF2 itself for 512 would double the cost for us, not for an
  // attacker (one block is enough to test a guess).
  const master = new Uint8Array(
    await subtle.deriveBits(
      { name: 'PBKDF2', hash: 'SHA-256', salt: utf8.encode(salt.normalize('NFC')), iterations },
      secret,
      256,
    ),
  )
  const expander = await subtle.importKey('raw', master, 'HKDF', false, ['deriveKey', 'deriveBits'])
  master.fill(0)
  const key = await subtle.deriveKey(hkdf('cairn/enc1/key'), expander, { name: 'AES-GCM', length: 256 }, false, [
    'encrypt',
    'decrypt',
  ])
  const id = toBase64url(new Uint8Array(await subtle.deriveBits(hkdf('cairn/enc1/kid'), expander, 128)))
  return { id, key }
}
