/**
 * Base64url without padding (RFC 4648 §5), the text form of an envelope's bytes. `btoa`/`atob` exist in Node 20
 * and every browser, so no `Buffer`. Decoding is strict: anything but the canonical encoding of some bytes is
 * refused, so one byte string has exactly one text form on the wire.
 */

const ALPHABET = /^[A-Za-z0-9_-]*$/
/** Bytes per `String.fromCharCode` call: far below any engine's argument limit. */
const CHUNK = 0x8000

/** The canonical base64url (no padding) of `bytes`. */
export function toBase64url(bytes: Uint8Array): string {
  let binary = ''
  for (let i = 0; i < bytes.length; i += CHUNK) binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK))
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

/** The bytes of canonical unpadded base64url `text`, or `undefined` if it is not that. Never throws. */
export function fromBase64url(text: string): Uint8Array<ArrayBuffer> | undefined {
  if (!ALPHABET.test(text) || text.length % 4 === 1) return undefined
  // Unused low bits of the last character must be zero, or two texts would decode to the same bytes.
  const last = text.length % 4
  if (last !== 0) {
    const value = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.indexOf(text.at(-1)!)
    if ((value & (last === 2 ? 0b1111 : 0b11)) !== 0) return undefined
  }
  let binary: string
  try {
    binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'))
  } catch {
    return undefined
  }
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return bytes
}
