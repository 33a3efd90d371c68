/**
 * Event-data encryption in real Chromium (its WebCrypto, not Node's): a round trip, and the fixed `enc1`
 * vectors sealed in Node open here, so both engines speak one format.
 */
import { describe, expect, it } from 'vitest'
import {
  decryptEventData,
  ENCRYPTED_TYPE,
  encryptEventData,
  keyFromPassphrase,
  spaceKeys,
} from '../src/crypto/envelope'
import {
  vectorEvent,
  vectorKeyBytes,
  vectorKid,
  vectorPassphrase,
  vectorSealed,
  vectorSealedHidden,
} from './fixtures/crypto-vectors'

describe('event-data encryption in Chromium', () => {
  it('round trip with a generated key, type visible and hidden; an unknown kid is KEY_MISSING', async () => {
    const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt'])
    const keys = spaceKeys([{ id: 'k1', key }])
    const input = {
      space: 's',
      id: crypto.randomUUID(),
      stream: 'card:1',
      version: 1,
      type: 'CardAdded',
      // A space is not in base64url: a ciphertext never holds this text by chance (`'hi'` did: a few runs in a hundred).
      data: { t: 'a secret title' },
    }
    for (const hideType of [false, true]) {
      const sealed = await encryptEventData(input, keys, { hideType })
      expect(sealed.type).toBe(hideType ? ENCRYPTED_TYPE : 'CardAdded')
      expect(JSON.stringify(sealed)).not.toContain('a secret title')
      const wire = { ...input, ...sealed }
      expect(await decryptEventData(wire, keys)).toEqual({ ok: true, type: 'CardAdded', data: { t: 'a secret title' } })
      expect(await decryptEventData({ ...wire, version: 2 }, keys)).toMatchObject({ ok: false, code: 'DECRYPT_FAILED' })
      expect(await decryptEventData(wire, spaceKeys([]))).toMatchObject({ ok: false, code: 'KEY_MISSING', kid: 'k1' })
    }
  })

  it('opens the vectors sealed in Node and derives the same passphrase key id', async () => {
    const key = await crypto.subtle.importKey('raw', vectorKeyBytes(), 'AES-GCM', false, ['decrypt'])
    const keys = spaceKeys([{ id: vectorKid, key }])
    const expected = { ok: true, type: vectorEvent.type, data: vectorEvent.data }
    expect(await decryptEventData({ ...vectorEvent, ...vectorSealed }, keys)).toEqual(expected)
    expect(await decryptEventData({ ...vectorEvent, ...vectorSealedHidden }, keys)).toEqual(expected)
    const { passphrase, salt, iterations, kid } = vectorPassphrase
    expect((await keyFromPassphrase(passphrase, { salt, iterations })).id).toBe(kid)
  })
})
