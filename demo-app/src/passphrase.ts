/**
 * Encrypted boards: the passphrase a person shares and the key the runtime uses. The key is derived once per
 * passphrase (PBKDF2, ~0.3 s) and handed to `joinSpace`, which keeps it in the database: a reload derives
 * nothing. The passphrase itself is never stored, sent or logged.
 */
import { keyFromPassphrase, type SpaceKey } from '@cairn/core'

/** Bytes of a generated passphrase: 128 bits, as 22 base64url characters. */
const PASSPHRASE_BYTES = 16

/** A strong random passphrase (128 bits, base64url): safe in a URL fragment, easy to copy. */
export function generatePassphrase(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(PASSPHRASE_BYTES))
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '')
}

/** The PBKDF2 salt of a board: the same on every device, different for every board. */
export const boardSalt = (board: string): string => `cairn-demo/${board}`

// One derivation per board and passphrase in this page (React may ask twice for the same one).
const derived = new Map<string, Promise<SpaceKey>>()

/** The key of `board` for `passphrase`: the same on every device that types the same passphrase. */
export function boardKey(board: string, passphrase: string): Promise<SpaceKey> {
  const id = `${board}\n${passphrase}`
  let key = derived.get(id)
  if (!key) {
    key = keyFromPassphrase(passphrase, { salt: boardSalt(board) })
    key.catch(() => derived.delete(id))
    derived.set(id, key)
  }
  return key
}

/** Codes of `status.spaces[board].lastError` that mean "this device cannot read this board's events". */
export const KEY_ERRORS = ['KEY_MISSING', 'DECRYPT_FAILED', 'NOT_ENCRYPTED'] as const
export type KeyErrorCode = (typeof KEY_ERRORS)[number]

export const isKeyError = (code: string | undefined): code is KeyErrorCode =>
  (KEY_ERRORS as readonly (string | undefined)[]).includes(code)
