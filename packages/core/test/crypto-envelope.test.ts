/**
 * End-to-end encryption of event data (issue 16), the building block alone: envelopes, keys, rotation,
 * passphrases, and that opening never throws whatever the server sends.
 */
import { createCipheriv, createDecipheriv, hkdfSync, pbkdf2Sync, randomBytes } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { fromBase64url, toBase64url } from '../src/crypto/base64url'
import {
  DEFAULT_PBKDF2_ITERATIONS,
  decryptEventData,
  ENCRYPTED_TYPE,
  type EventDataInput,
  encryptEventData,
  isEnvelope,
  keyFromPassphrase,
  type SpaceKeys,
  spaceKeys,
} from '../src/crypto/envelope'
import { SyncError } from '../src/domain/errors'
import type { WireEvent } from '../src/protocol'
import {
  vectorEvent,
  vectorKeyBytes,
  vectorKid,
  vectorPassphrase,
  vectorSealed,
  vectorSealedHidden,
} from './fixtures/crypto-vectors'

const newKey = () =>
  crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']) as Promise<CryptoKey>

const event = (over: Partial<EventDataInput> = {}): EventDataInput => ({
  space: 'team-1',
  id: crypto.randomUUID(),
  stream: 'card:7',
  version: 2,
  type: 'CardRenamed',
  data: { title: 'Quarterly numbers', amount: 4711, nested: { note: 'top secret plan' } },
  ...over,
})

/** The event as a server would store it: the input with type and data replaced by the sealed ones. */
async function seal(input: EventDataInput, keys: SpaceKeys, hideType = false): Promise<EventDataInput> {
  return { ...input, ...(await encryptEventData(input, keys, { hideType })) }
}

describe('encryptEventData / decryptEventData', () => {
  it('round trip: the data comes back, the wire carries only an enc1 envelope', async () => {
    const keys = spaceKeys([{ id: 'k1', key: await newKey() }])
    const input = event()
    const wire = await seal(input, keys)
    expect(wire.type).toBe('CardRenamed')
    expect(isEnvelope(wire.data)).toBe(true)
    expect(Object.keys(wire.data as object).sort()).toEqual(['$cairn', 'ct', 'iv', 'kid'])
    expect(wire.data).toMatchObject({ $cairn: 'enc1', kid: 'k1' })
    expect(fromBase64url((wire.data as { iv: string }).iv)).toHaveLength(12)
    expect(await decryptEventData(wire, keys)).toEqual({ ok: true, type: 'CardRenamed', data: input.data })
  })

  it('an envelope is a WireEvent data (JsonObject) as it is', async () => {
    const keys = spaceKeys([{ id: 'k1', key: await newKey() }])
    const sealed = await encryptEventData(event(), keys)
    const wire: WireEvent = { id: 'e1', stream: 'card:7', version: 2, type: sealed.type, data: sealed.data }
    expect(JSON.parse(JSON.stringify(wire)).data).toEqual(sealed.data)
  })

  it('any JSON data round-trips, with the type visible or hidden', async () => {
    const keys = spaceKeys([{ id: 'k1', key: await newKey() }])
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), fc.string({ minLength: 1 }), fc.boolean(), async (data, type, hideType) => {
        fc.pre(type !== ENCRYPTED_TYPE)
        const wire = await seal(event({ data, type }), keys, hideType)
        const opened = await decryptEventData(wire, keys)
        expect(opened).toEqual({ ok: true, type, data: JSON.parse(JSON.stringify(data)) })
      }),
      { numRuns: 200 },
    )
  })

  it('draws a fresh IV per event: the same input sealed twice gives different iv and ct', async () => {
    const keys = spaceKeys([{ id: 'k1', key: await newKey() }])
    const input = event()
    const a = await encryptEventData(input, keys)
    const b = await encryptEventData(input, keys)
    expect(a.data.iv).not.toBe(b.data.iv)
    expect(a.data.ct).not.toBe(b.data.ct)
    const ivs = new Set<string>()
    for (let i = 0; i < 200; i++) ivs.add((await encryptEventData(input, keys)).data.iv)
    expect(ivs.size).toBe(200)
  })

  it('no plaintext of the data, nor a hidden type, appears anywhere on the wire', async () => {
    const keys = spaceKeys([{ id: 'k1', key: await newKey() }])
    const secrets = ['Quarterly numbers', '4711', 'top secret plan', 'title', 'nested', 'CardRenamed']
    const input = event()
    const wire = JSON.stringify(await seal(input, keys, true))
    for (const secret of secrets) expect(wire).not.toContain(secret)
    expect(wire).toContain(ENCRYPTED_TYPE)
    // The plaintext is not merely re-encoded either.
    expect(wire).not.toContain(toBase64url(new TextEncoder().encode('Quarterly')).slice(0, 8))
  })

  it('the wrong key under the right id → DECRYPT_FAILED with the kid', async () => {
    const wire = await seal(event(), spaceKeys([{ id: 'k1', key: await newKey() }]))
    const other = spaceKeys([{ id: 'k1', key: await newKey() }])
    expect(await decryptEventData(wire, other)).toMatchObject({ ok: false, code: 'DECRYPT_FAILED', kid: 'k1' })
  })

  it('an unknown kid → KEY_MISSING with that kid', async () => {
    const wire = await seal(event(), spaceKeys([{ id: 'k-new', key: await newKey() }]))
    const result = await decryptEventData(wire, spaceKeys([{ id: 'k-old', key: await newKey() }]))
    expect(result).toMatchObject({ ok: false, code: 'KEY_MISSING', kid: 'k-new' })
    expect(await decryptEventData(wire, spaceKeys([]))).toMatchObject({ ok: false, code: 'KEY_MISSING', kid: 'k-new' })
  })

  it('a key provider that fails → KEY_MISSING, not a throw', async () => {
    const wire = await seal(event(), spaceKeys([{ id: 'k1', key: await newKey() }]))
    const broken: SpaceKeys = {
      current: () => Promise.reject(new Error('offline')),
      byId: () => Promise.reject(new Error('key server offline')),
    }
    const result = await decryptEventData(wire, broken)
    expect(result).toMatchObject({ ok: false, code: 'KEY_MISSING', kid: 'k1' })
    expect(result.ok || result.message).toContain('key server offline')
    await expect(encryptEventData(event(), broken)).rejects.toMatchObject({ name: 'SyncError', code: 'KEY_MISSING' })
    // A "key" that is no AES-GCM key at all is a failure to decrypt.
    const garbage: SpaceKeys = { ...broken, byId: async () => ({}) as CryptoKey }
    expect(await decryptEventData(wire, garbage)).toMatchObject({ ok: false, code: 'DECRYPT_FAILED', kid: 'k1' })
  })

  it.each([
    ['space', { space: 'team-2' }],
    ['id', { id: 'another-event' }],
    ['stream', { stream: 'card:8' }],
    ['version', { version: 3 }],
    ['type', { type: 'CardDeleted' }],
  ] as const)('binds the ciphertext to the event: another %s → DECRYPT_FAILED', async (_, change) => {
    const keys = spaceKeys([{ id: 'k1', key: await newKey() }])
    const wire = await seal(event(), keys)
    expect(await decryptEventData(wire, keys)).toMatchObject({ ok: true })
    expect(await decryptEventData({ ...wire, ...change }, keys)).toMatchObject({
      ok: false,
      code: 'DECRYPT_FAILED',
      kid: 'k1',
    })
  })

  it("a server cannot swap one event's envelope into another, nor flip a bit of it", async () => {
    const keys = spaceKeys([{ id: 'k1', key: await newKey() }])
    const a = await seal(event({ data: { amount: 1 } }), keys)
    const b = await seal(event({ data: { amount: 1_000_000 } }), keys)
    expect(await decryptEventData({ ...a, data: b.data }, keys)).toMatchObject({ ok: false, code: 'DECRYPT_FAILED' })
    const { ct } = b.data as { ct: string }
    const bytes = fromBase64url(ct)!
    bytes[3]! ^= 1
    const flipped = { ...b, data: { ...(b.data as object), ct: toBase64url(bytes) } }
    expect(await decryptEventData(flipped, keys)).toMatchObject({ ok: false, code: 'DECRYPT_FAILED' })
  })

  it('rotation: events under key 1 still open once key 2 is current; new events use key 2', async () => {
    const k1 = { id: 'k1', key: await newKey() }
    const k2 = { id: 'k2', key: await newKey() }
    const before = spaceKeys([k1])
    const old = await seal(event(), before)
    expect(old.data).toMatchObject({ kid: 'k1' })

    const after = spaceKeys([k1, k2])
    expect((await after.current()).id).toBe('k2')
    const fresh = await seal(event(), after)
    expect(fresh.data).toMatchObject({ kid: 'k2' })
    expect(await decryptEventData(old, after)).toMatchObject({ ok: true })
    expect(await decryptEventData(fresh, after)).toMatchObject({ ok: true })
    // A removed member kept key 1 only: it reads old events, and gets a clear code for new ones.
    expect(await decryptEventData(old, before)).toMatchObject({ ok: true })
    expect(await decryptEventData(fresh, before)).toMatchObject({ ok: false, code: 'KEY_MISSING', kid: 'k2' })
  })

  it('hidden type: the wire type is $encrypted, the real one comes back, and it cannot be re-typed', async () => {
    const keys = spaceKeys([{ id: 'k1', key: await newKey() }])
    const input = event({ type: 'SalaryChanged' })
    const wire = await seal(input, keys, true)
    expect(wire.type).toBe(ENCRYPTED_TYPE)
    expect(await decryptEventData(wire, keys)).toEqual({ ok: true, type: 'SalaryChanged', data: input.data })
    expect(await decryptEventData({ ...wire, type: 'SalaryChanged' }, keys)).toMatchObject({
      ok: false,
      code: 'DECRYPT_FAILED',
    })
  })
})

describe('malformed input never throws', () => {
  const good = { $cairn: 'enc1', kid: 'k1', iv: toBase64url(new Uint8Array(12)), ct: toBase64url(new Uint8Array(32)) }
  const cases: [string, unknown][] = [
    ['no kid', { ...good, kid: undefined }],
    ['empty kid', { ...good, kid: '' }],
    ['kid not a string', { ...good, kid: 7 }],
    ['no iv', { ...good, iv: undefined }],
    ['no ct', { ...good, ct: undefined }],
    ['iv not base64url', { ...good, iv: 'AAAA+AAAAAAAAAAA' }],
    ['iv padded', { ...good, iv: `${good.iv}==` }],
    ['iv of 11 bytes', { ...good, iv: toBase64url(new Uint8Array(11)) }],
    ['iv of 16 bytes', { ...good, iv: toBase64url(new Uint8Array(16)) }],
    ['iv not canonical', { ...good, iv: `${good.iv.slice(0, -1)}B` }],
    ['ct not base64url', { ...good, ct: '!!!!' }],
    ['ct of impossible length', { ...good, ct: 'AAAAA' }],
    ['ct shorter than the tag', { ...good, ct: toBase64url(new Uint8Array(15)) }],
    ['ct not a string', { ...good, ct: ['AAAA'] }],
    ['unknown format', { ...good, $cairn: 'enc9' }],
    ['format marker only', { $cairn: 'enc1' }],
    ['well-formed but not sealed by anyone', good],
  ]

  it.each(cases)('%s → DECRYPT_FAILED', async (_, data) => {
    const keys = spaceKeys([{ id: 'k1', key: await newKey() }])
    const result = await decryptEventData(event({ data }), keys)
    expect(result).toMatchObject({ ok: false, code: 'DECRYPT_FAILED' })
    expect(result.ok || result.message).toMatch(/\S/)
  })

  it('data that is no envelope → NOT_ENCRYPTED, or DECRYPT_FAILED under the $encrypted type', async () => {
    const keys = spaceKeys([{ id: 'k1', key: await newKey() }])
    for (const data of [{ title: 'x' }, null, undefined, 'text', 42, ['a'], {}]) {
      expect(await decryptEventData(event({ data }), keys)).toMatchObject({ ok: false, code: 'NOT_ENCRYPTED' })
      expect(await decryptEventData(event({ data, type: ENCRYPTED_TYPE }), keys)).toMatchObject({
        ok: false,
        code: 'DECRYPT_FAILED',
      })
    }
  })

  it('input that is not what the types say → DECRYPT_FAILED', async () => {
    const keys = spaceKeys([{ id: 'k1', key: await newKey() }])
    const hostile = event({
      data: Object.defineProperty({ $cairn: 'enc1' }, 'kid', {
        get() {
          throw new Error('boom')
        },
      }),
    })
    expect(await decryptEventData(hostile, keys)).toMatchObject({ ok: false, code: 'DECRYPT_FAILED' })
    expect(await decryptEventData(null as unknown as EventDataInput, keys)).toMatchObject({ ok: false })
  })

  it("a key holder's payload that is not { data } or { type, data } → DECRYPT_FAILED", async () => {
    const keys = spaceKeys([
      { id: 'raw', key: await crypto.subtle.importKey('raw', vectorKeyBytes(), 'AES-GCM', false, ['decrypt']) },
    ])
    const input = event()
    /** Seals `plaintext` by hand (node:crypto) for `input` under wire type `type`. */
    const sealRaw = (plaintext: Buffer, type: string): EventDataInput => {
      const iv = randomBytes(12)
      const cipher = createCipheriv('aes-256-gcm', vectorKeyBytes(), iv)
      const { space, id, stream, version } = input
      cipher.setAAD(Buffer.from(JSON.stringify(['cairn/enc1', space, id, stream, version, type])))
      const ct = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()])
      return {
        ...input,
        type,
        data: { $cairn: 'enc1', kid: 'raw', iv: iv.toString('base64url'), ct: ct.toString('base64url') },
      }
    }
    const json = (value: unknown) => Buffer.from(JSON.stringify(value))
    expect(await decryptEventData(sealRaw(json({ data: 1 }), 'A'), keys)).toEqual({ ok: true, type: 'A', data: 1 })
    const bad: [Buffer, string][] = [
      [json({ type: 'B', data: 1 }), 'A'], // which type?
      [json({ data: 1 }), ENCRYPTED_TYPE], // hidden, but no type inside
      [json({ type: ENCRYPTED_TYPE, data: 1 }), ENCRYPTED_TYPE],
      [json({ type: 5, data: 1 }), ENCRYPTED_TYPE],
      [json({ title: 'no data key' }), 'A'],
      [json([1]), 'A'],
      [Buffer.from('not json'), 'A'],
      [Buffer.concat([Buffer.from('{"data":"'), Buffer.from([0xff]), Buffer.from('"}')]), 'A'], // not UTF-8
      [Buffer.alloc(0), 'A'],
    ]
    for (const [plaintext, type] of bad)
      expect(await decryptEventData(sealRaw(plaintext, type), keys)).toMatchObject({
        ok: false,
        code: 'DECRYPT_FAILED',
        kid: 'raw',
      })
  })

  it('isEnvelope tells the shape only', () => {
    expect(isEnvelope(good)).toBe(true)
    expect(isEnvelope({ ...good, $cairn: 'enc2' })).toBe(false)
    expect(isEnvelope({ ...good, kid: '' })).toBe(false)
    expect(isEnvelope({ ...good, iv: 1 })).toBe(false)
    for (const value of [null, undefined, 'enc1', [good], {}]) expect(isEnvelope(value)).toBe(false)
  })
})

describe('encryptEventData refuses what it cannot seal', () => {
  it('throws SyncError codes, never writes an envelope it could not open', async () => {
    const keys = spaceKeys([{ id: 'k1', key: await newKey() }])
    const sealed = await encryptEventData(event(), keys)
    const refusals: [string, Partial<EventDataInput>, string][] = [
      ['ENCRYPT_FAILED', { type: ENCRYPTED_TYPE }, 'reserved'],
      ['ENCRYPT_FAILED', { data: sealed.data }, 'already encrypted'],
      ['ENCRYPT_FAILED', { data: { $cairn: 'mine' } }, 'reserved key'],
      ['ENCRYPT_FAILED', { data: undefined }, 'not JSON'],
      ['ENCRYPT_FAILED', { data: () => 1 }, 'not JSON'],
      ['ENCRYPT_FAILED', { data: { n: 1n } }, 'not JSON'],
    ]
    for (const [code, change, message] of refusals) {
      const error = await encryptEventData(event(change), keys).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(SyncError)
      expect(error).toMatchObject({ code, message: expect.stringContaining(message) })
    }
    await expect(encryptEventData(event(), spaceKeys([]))).rejects.toMatchObject({ code: 'KEY_MISSING' })
    const readOnly = {
      id: 'r',
      key: await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['decrypt']),
    }
    await expect(encryptEventData(event(), spaceKeys([readOnly]))).rejects.toMatchObject({ code: 'ENCRYPT_FAILED' })
  })

  it('spaceKeys accepts AES-GCM-256 keys with distinct ids only', async () => {
    const key = await newKey()
    const aes128 = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 128 }, false, ['encrypt'])
    const cbc = await crypto.subtle.generateKey({ name: 'AES-CBC', length: 256 }, false, ['encrypt'])
    expect(() => spaceKeys([{ id: 'a', key: aes128 as CryptoKey }])).toThrow(/AES-GCM CryptoKey of 256 bits/)
    expect(() => spaceKeys([{ id: 'a', key: cbc as CryptoKey }])).toThrow(TypeError)
    expect(() => spaceKeys([{ id: '', key }])).toThrow(/non-empty id/)
    const other = await newKey()
    expect(() =>
      spaceKeys([
        { id: 'a', key },
        { id: 'a', key: other },
      ]),
    ).toThrow(/two different/)
    expect(() =>
      spaceKeys([
        { id: 'a', key },
        { id: 'a', key },
      ]),
    ).not.toThrow()
  })
})

describe('keyFromPassphrase', () => {
  const options = { salt: 'my-app/space/team-1', iterations: 1000 }

  it('same passphrase and salt → same kid, and each device reads the other', async () => {
    const deviceA = await keyFromPassphrase('blue whale jumps', options)
    const deviceB = await keyFromPassphrase('blue whale jumps', options)
    expect(deviceA.id).toBe(deviceB.id)
    expect(deviceA.id).toMatch(/^[A-Za-z0-9_-]{22}$/)
    expect(deviceA.key.extractable).toBe(false)
    const wire = await seal(event(), spaceKeys([deviceA]), true)
    expect(await decryptEventData(wire, spaceKeys([deviceB]))).toMatchObject({ ok: true, type: 'CardRenamed' })
  })

  it('another salt, passphrase or iteration count → another kid (and the event stays closed)', async () => {
    const base = await keyFromPassphrase('blue whale jumps', options)
    const others = await Promise.all([
      keyFromPassphrase('blue whale jumps', { ...options, salt: 'my-app/space/team-2' }),
      keyFromPassphrase('blue whale jumps!', options),
      keyFromPassphrase('blue whale jumps', { ...options, iterations: 1001 }),
    ])
    const wire = await seal(event(), spaceKeys([base]))
    for (const other of others) {
      expect(other.id).not.toBe(base.id)
      expect(await decryptEventData(wire, spaceKeys([other]))).toMatchObject({ ok: false, code: 'KEY_MISSING' })
    }
  })

  it('normalizes the passphrase (NFC): é typed composed or decomposed is one key', async () => {
    const composed = await keyFromPassphrase('caf\u00e9 au lait', options)
    const decomposed = await keyFromPassphrase('cafe\u0301 au lait', options)
    expect(composed.id).toBe(decomposed.id)
  })

  it('refuses an empty passphrase or salt and a bad iteration count', async () => {
    await expect(keyFromPassphrase('', options)).rejects.toThrow(TypeError)
    await expect(keyFromPassphrase('x', { salt: '' })).rejects.toThrow(TypeError)
    await expect(keyFromPassphrase('x', { ...options, iterations: 0 })).rejects.toThrow(TypeError)
    await expect(keyFromPassphrase('x', { ...options, iterations: 1.5 })).rejects.toThrow(TypeError)
  })

  it(`uses ${DEFAULT_PBKDF2_ITERATIONS} iterations by default`, async () => {
    const byDefault = await keyFromPassphrase('blue whale jumps', { salt: options.salt })
    const explicit = await keyFromPassphrase('blue whale jumps', { salt: options.salt, iterations: 310_000 })
    expect(byDefault.id).toBe(explicit.id)
  })

  it('is PBKDF2-SHA-256 (256 bits) then HKDF-SHA-256, as node:crypto computes it', async () => {
    const { passphrase, salt, iterations, kid } = vectorPassphrase
    expect((await keyFromPassphrase(passphrase, { salt, iterations })).id).toBe(kid)
    const master = pbkdf2Sync(passphrase, salt, iterations, 32, 'sha256')
    const expand = (info: string, bytes: number) =>
      new Uint8Array(hkdfSync('sha256', master, new Uint8Array(0), info, bytes))
    expect(toBase64url(expand('cairn/enc1/kid', 16))).toBe(kid)
    const keyBytes = expand('cairn/enc1/key', 32)
    // The derived key is the HKDF output: an envelope sealed with it opens with those raw bytes.
    const derived = await keyFromPassphrase(passphrase, { salt, iterations })
    const raw = await crypto.subtle.importKey('raw', keyBytes, 'AES-GCM', false, ['decrypt'])
    const wire = await seal(event(), spaceKeys([derived]))
    expect(await decryptEventData(wire, spaceKeys([{ id: derived.id, key: raw }]))).toMatchObject({ ok: true })
  })
})

describe('format enc1 is fixed', () => {
  const vectorKeys = async () =>
    spaceKeys([
      { id: vectorKid, key: await crypto.subtle.importKey('raw', vectorKeyBytes(), 'AES-GCM', false, ['decrypt']) },
    ])

  it('opens the stored vectors (type visible and hidden)', async () => {
    const keys = await vectorKeys()
    const expected = { ok: true, type: vectorEvent.type, data: vectorEvent.data }
    expect(await decryptEventData({ ...vectorEvent, ...vectorSealed }, keys)).toEqual(expected)
    expect(await decryptEventData({ ...vectorEvent, ...vectorSealedHidden }, keys)).toEqual(expected)
  })

  it('is what the header says: AES-256-GCM, tag last, AAD = JSON [cairn/enc1, space, id, stream, version, type]', () => {
    for (const sealed of [vectorSealed, vectorSealedHidden]) {
      const { space, id, stream, version } = vectorEvent
      const ct = Buffer.from(sealed.data.ct, 'base64url')
      const decipher = createDecipheriv('aes-256-gcm', vectorKeyBytes(), Buffer.from(sealed.data.iv, 'base64url'))
      decipher.setAAD(Buffer.from(JSON.stringify(['cairn/enc1', space, id, stream, version, sealed.type]), 'utf8'))
      decipher.setAuthTag(ct.subarray(-16))
      const plain = JSON.parse(Buffer.concat([decipher.update(ct.subarray(0, -16)), decipher.final()]).toString())
      const hidden = sealed.type === ENCRYPTED_TYPE
      expect(plain).toEqual(hidden ? { type: vectorEvent.type, data: vectorEvent.data } : { data: vectorEvent.data })
    }
  })
})

describe('base64url', () => {
  it('round-trips any bytes, as Node encodes them, and refuses every other text', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100_000 }), (bytes) => {
        const text = toBase64url(bytes)
        expect(text).toBe(Buffer.from(bytes).toString('base64url'))
        expect(fromBase64url(text)).toEqual(bytes)
      }),
      { numRuns: 100 },
    )
    fc.assert(
      fc.property(fc.string(), (text) => {
        const bytes = fromBase64url(text)
        if (bytes !== undefined) expect(toBase64url(bytes)).toBe(text)
      }),
      { numRuns: 2000 },
    )
  })
})
