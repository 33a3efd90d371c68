/**
 * End-to-end encrypted spaces (issue 16), both sides together: real clients (fake-indexeddb) syncing through a
 * real server on SQLite and PostgreSQL. The server's database and the wire hold no plaintext of an encrypted
 * space; a device without the right key reports it and waits; given the key, it catches up.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  createLocalClient,
  defineAggregate,
  defineDomain,
  defineEvents,
  event,
  httpTransport,
  keyFromPassphrase,
  type SpaceKey,
} from '@cairn/core'
import { kanban, teamBoard } from '@cairn/example-kanban'
import {
  createMemoryStorage,
  createPostgresStorage,
  createSqliteStorage,
  createSyncServer,
  dropPostgresSchema,
  type SyncServer,
} from '@cairn/server'
import postgres from 'postgres'
import { afterAll, describe, expect, it } from 'vitest'

const url = 'http://cairn.test'
const PG_URL = process.env.CAIRN_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const tmpDir = mkdtempSync(join(tmpdir(), 'cairn-encrypted-'))
const schemas: string[] = []
const storages: { close(): Promise<void> }[] = []
let n = 0

afterAll(async () => {
  for (const s of storages) await s.close().catch(() => {})
  for (const s of schemas) await dropPostgresSchema(PG_URL, s)
  rmSync(tmpDir, { recursive: true, force: true })
})

/** Everything that went over the wire, as text: request and response bodies. */
interface Wire {
  fetch: typeof fetch
  text(): string
}

function recordWire(server: SyncServer, alter?: (path: string, body: string) => string): Wire {
  const seen: string[] = []
  return {
    fetch: async (input, init) => {
      const request = new Request(input, init)
      const sent = request.method === 'POST' ? await request.clone().text() : ''
      seen.push(request.url, sent)
      const response = await server.fetch(request)
      let body = await response.text()
      if (alter) body = alter(new URL(request.url).pathname, body)
      seen.push(body)
      return new Response(body, { status: response.status, headers: response.headers })
    },
    text: () => seen.join('\n'),
  }
}

const passphraseKey = (passphrase: string, space: string): Promise<SpaceKey> =>
  keyFromPassphrase(passphrase, { salt: `cairn-test/${space}`, iterations: 1000 })

function device(space: string, wire: Wire, name: string) {
  return createLocalClient(kanban, {
    name: `${name}-${++n}-${Math.random().toString(36).slice(2)}`,
    sync: { space, autoStart: false, transport: httpTransport({ url, space, fetch: wire.fetch }) },
  })
}

type Device = ReturnType<typeof device>

const SECRET_BOARD = 'Quarterly layoffs plan'
const SECRET_CARD = 'Call Mrs Example at 555-0123'

async function writeSecrets(a: Device): Promise<void> {
  await a.execute('board.create', { id: 'b1', input: { ...teamBoard, title: SECRET_BOARD } })
  await a.execute('board.addCard', { id: 'b1', input: { cardId: 'c1', title: SECRET_CARD, column: 'todo' } })
  await a.execute('board.moveCard', { id: 'b1', input: { cardId: 'c1', to: 'doing' } })
}

const titles = async (d: Device) => (await d.query('cards.onBoard', 'b1')).map((c) => c.title)
const lastError = (d: Device, space: string) => d.runtime.status.get().spaces[space]?.lastError ?? null

/** A round that ends with a space's events held: `syncNow` reports it by rejecting with that space's error. */
async function syncHeld(d: Device, code: string): Promise<void> {
  await expect(d.syncNow()).rejects.toMatchObject({ code })
}

function sqliteBytes(dir: string): string {
  return readdirSync(dir)
    .map((f) => readFileSync(join(dir, f)).toString('latin1'))
    .join('\n')
}

describe.each([
  ['sqlite', 'raw file bytes (database and WAL)'],
  ['postgres', 'every row of its tables, as text'],
])('an encrypted space on %s', (kind) => {
  it('the server database and the wire hold no plaintext; a device with the key reads everything', async () => {
    const space = `enc-${kind}-${++n}`
    const dir = join(tmpDir, space)
    const schema = `t_enc_${process.pid}_${n}_${Math.random().toString(36).slice(2, 8)}`
    const storage =
      kind === 'sqlite'
        ? createSqliteStorage({ path: join(dir, 'cairn.db') })
        : await createPostgresStorage({ url: PG_URL, schema })
    storages.push(storage)
    if (kind === 'postgres') schemas.push(schema)
    const server = createSyncServer({ storage, rateLimit: false })
    const wire = recordWire(server)
    const key = await passphraseKey('correct horse battery staple', space)

    const a = device(space, wire, 'a')
    const b = device(space, wire, 'b')
    await a.joinSpace(space, { encryption: { keys: [key], hideTypes: true } })
    await b.joinSpace(space, { encryption: { keys: [key] } })
    await writeSecrets(a)
    await a.syncNow()
    await b.syncNow()
    expect(await titles(b)).toEqual([SECRET_CARD])
    expect((await b.query('cards.onBoard', 'b1'))[0]?.column).toBe('doing')
    expect(lastError(b, space)).toBeNull()
    expect(a.runtime.status.get().pending).toBe(0)

    // What the server holds, read around it.
    let stored: string
    if (kind === 'sqlite') {
      stored = sqliteBytes(dir)
    } else {
      const sql = postgres(PG_URL, { max: 1, onnotice: () => {} })
      const rows = await sql.unsafe(`SELECT * FROM ${schema}.events`)
      stored = JSON.stringify(rows)
      await sql.end()
    }
    expect(stored).toContain('enc1') // the envelopes are there...
    for (const secret of [SECRET_BOARD, SECRET_CARD, 'Quarterly', '555-0123', 'CardAdded', 'CardMoved'])
      expect(stored, secret).not.toContain(secret) // ...and no plaintext, not even the (hidden) types
    const onWire = wire.text()
    expect(onWire).toContain('"$cairn":"enc1"')
    for (const secret of [SECRET_BOARD, SECRET_CARD, 'CardAdded']) expect(onWire, secret).not.toContain(secret)
    await a.close()
    await b.close()
  })
})

describe('keys', () => {
  it('a device with a wrong key reports KEY_MISSING and applies nothing; given the right key it catches up', async () => {
    const space = `enc-keys-${++n}`
    const server = createSyncServer({ storage: createMemoryStorage(), rateLimit: false })
    const wire = recordWire(server)
    const right = await passphraseKey('the right one', space)
    const wrong = await passphraseKey('a wrong one', space)
    const a = device(space, wire, 'a')
    await a.joinSpace(space, { encryption: { keys: [right] } })
    await writeSecrets(a)
    await a.syncNow()

    const c = device(space, wire, 'c')
    await c.joinSpace(space, { encryption: { keys: [wrong] } })
    await syncHeld(c, 'KEY_MISSING')
    expect(lastError(c, space)?.code).toBe('KEY_MISSING')
    expect(lastError(c, space)?.details).toMatchObject({ space, seq: 1, kid: right.id })
    expect(await titles(c)).toEqual([])
    expect(c.runtime.status.get().spaces[space]?.cursor).toBe(0)
    // Asked again, it still waits, and says why.
    await syncHeld(c, 'KEY_MISSING')
    expect(lastError(c, space)?.code).toBe('KEY_MISSING')

    expect(c.runtime.status.get().spaces[space]).toMatchObject({ encrypted: true, keyIds: [wrong.id] })

    // The wrong key is dropped, the right one given.
    await c.joinSpace(space, { encryption: { keys: [right], replaceKeys: true } })
    expect(c.runtime.status.get().spaces[space]).toMatchObject({ encrypted: true, keyIds: [right.id] })
    await c.syncNow()
    expect(lastError(c, space)).toBeNull()
    expect(await titles(c)).toEqual([SECRET_CARD])
    await a.close()
    await c.close()
  })

  it('a device that does not know the space is encrypted applies nothing of it and says why', async () => {
    const space = `enc-clear-${++n}`
    const server = createSyncServer({ storage: createMemoryStorage(), rateLimit: false })
    const wire = recordWire(server)
    const a = device(space, wire, 'a')
    await a.joinSpace(space, { encryption: { keys: [await passphraseKey('p', space)] } })
    await writeSecrets(a)
    await a.syncNow()
    const plain = device(space, wire, 'plain')
    await syncHeld(plain, 'KEY_MISSING')
    expect(lastError(plain, space)?.code).toBe('KEY_MISSING')
    // The key id is in clear in the envelope: the app can tell which passphrase is wanted before trying one.
    expect(lastError(plain, space)?.details).toMatchObject({ seq: 1, kid: expect.any(String) })
    expect(plain.runtime.status.get().spaces[space]).toMatchObject({ encrypted: false, keyIds: [] })
    expect(await titles(plain)).toEqual([])
    await a.close()
    await plain.close()
  })

  it('rotation: new events use the newest key; a device with both keys reads old and new', async () => {
    const space = `enc-rotate-${++n}`
    const server = createSyncServer({ storage: createMemoryStorage(), rateLimit: false })
    const wire = recordWire(server)
    const k1 = await passphraseKey('first', space)
    const k2 = await passphraseKey('second', space)
    const a = device(space, wire, 'a')
    await a.joinSpace(space, { encryption: { keys: [k1] } })
    await writeSecrets(a)
    await a.syncNow()
    await a.joinSpace(space, { encryption: { keys: [k2] } }) // added: k1 is kept to read old events
    await a.execute('board.addCard', { id: 'b1', input: { cardId: 'c2', title: 'after rotation', column: 'todo' } })
    await a.syncNow()
    const kids = [...wire.text().matchAll(/"kid":"([^"]+)"/g)].map((m) => m[1])
    expect(new Set(kids)).toEqual(new Set([k1.id, k2.id]))

    const onlyNew = device(space, wire, 'new')
    await onlyNew.joinSpace(space, { encryption: { keys: [k2] } })
    await syncHeld(onlyNew, 'KEY_MISSING')
    expect(lastError(onlyNew, space)?.details).toMatchObject({ kid: k1.id })
    const both = device(space, wire, 'both')
    await both.joinSpace(space, { encryption: { keys: [k1, k2] } })
    await both.syncNow()
    expect((await titles(both)).sort()).toEqual([SECRET_CARD, 'after rotation'].sort())
    for (const d of [a, onlyNew, both]) await d.close()
  })
})

describe('what the server or the network may do', () => {
  it('an altered ciphertext is reported (DECRYPT_FAILED) and nothing of it applied', async () => {
    const space = `enc-tamper-${++n}`
    const server = createSyncServer({ storage: createMemoryStorage(), rateLimit: false })
    const key = await passphraseKey('p', space)
    const a = device(space, recordWire(server), 'a')
    await a.joinSpace(space, { encryption: { keys: [key] } })
    await writeSecrets(a)
    await a.syncNow()
    // Flip one character of the second event's ciphertext on its way to b.
    let flipped = 0
    const tampering = recordWire(server, (path, body) => {
      if (!path.endsWith('/pull')) return body
      return body.replace(/"ct":"([A-Za-z0-9_-])/g, (all, c: string) =>
        ++flipped === 2 ? `"ct":"${c === 'A' ? 'B' : 'A'}` : all,
      )
    })
    const b = device(space, tampering, 'b')
    await b.joinSpace(space, { encryption: { keys: [key] } })
    await syncHeld(b, 'DECRYPT_FAILED')
    expect(lastError(b, space)?.code).toBe('DECRYPT_FAILED')
    expect(lastError(b, space)?.details).toMatchObject({ seq: 2 })
    expect(b.runtime.status.get().spaces[space]?.cursor).toBe(1) // the event before it applied
    expect(await titles(b)).toEqual([])
    await a.close()
    await b.close()
  })

  it('an event in clear in an encrypted space is refused (NOT_ENCRYPTED), not applied', async () => {
    const space = `enc-plain-${++n}`
    const server = createSyncServer({ storage: createMemoryStorage(), rateLimit: false })
    const wire = recordWire(server)
    const plain = device(space, wire, 'plain')
    await writeSecrets(plain)
    await plain.syncNow()
    const b = device(space, wire, 'b')
    await b.joinSpace(space, { encryption: { keys: [await passphraseKey('p', space)] } })
    await syncHeld(b, 'NOT_ENCRYPTED')
    expect(lastError(b, space)?.code).toBe('NOT_ENCRYPTED')
    expect(await titles(b)).toEqual([])
    await plain.close()
    await b.close()
  })

  it('a push whose answer was lost is sent again byte for byte: accepted once, no ID_REUSED', async () => {
    const space = `enc-retry-${++n}`
    const server = createSyncServer({ storage: createMemoryStorage(), rateLimit: false })
    // The network goes down just after the server stored the push: its answer and the pull after it are lost.
    let lost = 0
    const pushes: string[] = []
    const flaky: typeof fetch = async (input, init) => {
      const request = new Request(input, init)
      const isPush = request.url.endsWith('/push')
      if (isPush) pushes.push(await request.clone().text())
      if (lost === 1) {
        lost = 2
        throw new TypeError('network error: offline')
      }
      const response = await server.fetch(request)
      if (isPush && lost === 0) {
        lost = 1
        throw new TypeError('network error: the answer was lost')
      }
      return response
    }
    const a = device(space, { fetch: flaky, text: () => '' }, 'a')
    await a.joinSpace(space, { encryption: { keys: [await passphraseKey('p', space)] } })
    await writeSecrets(a)
    await expect(a.syncNow()).rejects.toThrow(/network/)
    await a.syncNow()
    expect(pushes.length).toBe(2)
    expect(pushes[1]).toBe(pushes[0])
    expect(a.runtime.status.get().pending).toBe(0)
    expect(a.runtime.status.get().rejected).toEqual([])
    expect(lastError(a, space)).toBeNull()
    await a.close()
  })

  it('conflicting offline edits on an encrypted board converge (the re-run command is sealed anew)', async () => {
    const space = `enc-rebase-${++n}`
    const server = createSyncServer({ storage: createMemoryStorage(), rateLimit: false })
    const wire = recordWire(server)
    const key = await passphraseKey('p', space)
    const a = device(space, wire, 'a')
    const b = device(space, wire, 'b')
    for (const d of [a, b]) await d.joinSpace(space, { encryption: { keys: [key] } })
    await writeSecrets(a)
    await a.syncNow()
    await b.syncNow()
    // Both edit the same board offline: b's command is re-run on a's events when b syncs.
    await a.execute('board.addCard', { id: 'b1', input: { cardId: 'a2', title: 'from a', column: 'todo' } })
    await b.execute('board.addCard', { id: 'b1', input: { cardId: 'b2', title: 'from b', column: 'todo' } })
    await a.syncNow()
    await b.syncNow()
    await a.syncNow()
    const expected = [SECRET_CARD, 'from a', 'from b'].sort()
    expect((await titles(a)).sort()).toEqual(expected)
    expect((await titles(b)).sort()).toEqual(expected)
    expect(b.runtime.status.get().rejected).toEqual([])
    expect(b.runtime.status.get().pending).toBe(0)
    await a.close()
    await b.close()
  })
})

describe('servers that check what they are sent', () => {
  it('a domain server checks an encrypted event by its type only, and refuses hidden types for good', async () => {
    const space = `enc-authority-${++n}`
    const server = createSyncServer({ storage: createMemoryStorage(), rateLimit: false, domain: kanban })
    const wire = recordWire(server)
    const key = await passphraseKey('p', space)
    const a = device(space, wire, 'a')
    await a.joinSpace(space, { encryption: { keys: [key] } })
    await writeSecrets(a)
    await a.syncNow()
    expect(a.runtime.status.get().pending).toBe(0)
    expect(a.runtime.status.get().rejected).toEqual([])

    const hidden = device(space, wire, 'hidden')
    await hidden.joinSpace(space, { encryption: { keys: [key], hideTypes: true } })
    await hidden.syncNow()
    const added = await hidden.execute('board.addCard', {
      id: 'b1',
      input: { cardId: 'h', title: 'h', column: 'todo' },
    })
    await hidden.syncNow()
    expect(hidden.runtime.status.get().rejected).toMatchObject([
      { commandId: added.commandId, code: 'UNKNOWN_EVENT_TYPE', message: expect.stringMatching(/hidden/) },
    ])
    expect(await titles(hidden)).toEqual([SECRET_CARD])
    await a.close()
    await hidden.close()
  })

  it('a server that requires encryption refuses a device in clear: its commands are rejected, nothing stored', async () => {
    const space = `enc-required-${++n}`
    const server = createSyncServer({ storage: createMemoryStorage(), rateLimit: false, requireEncryption: true })
    const wire = recordWire(server)
    const plain = device(space, wire, 'plain')
    await writeSecrets(plain)
    await plain.syncNow()
    // All three commands (create, add, move) are refused, since all three events were in clear.
    expect(plain.runtime.status.get().rejected.map((r) => r.code)).toEqual([
      'NOT_ENCRYPTED',
      'NOT_ENCRYPTED',
      'NOT_ENCRYPTED',
    ])
    expect(plain.runtime.status.get().pending).toBe(0)
    expect(wire.text()).not.toContain('"head":1')
    await plain.close()
    expect(() => createSyncServer({ storage: createMemoryStorage(), domain: kanban, requireEncryption: true })).toThrow(
      /cannot go together/,
    )
  })

  it('an event that can never be sealed rejects its command only; the rest is pushed', async () => {
    const note = defineAggregate({
      name: 'note',
      events: defineEvents({ NoteWritten: event<Record<string, unknown>>() }),
      initialState: () => ({}),
      evolve: { NoteWritten: (s) => s },
      commands: { write: (_s, input: Record<string, unknown>, ctx) => ctx.event('NoteWritten', input) },
    })
    const notes = defineDomain({ aggregates: { note }, projections: {} })
    const space = `enc-unsealable-${++n}`
    const server = createSyncServer({ storage: createMemoryStorage(), rateLimit: false })
    const wire = recordWire(server)
    const d = createLocalClient(notes, {
      name: `unsealable-${n}-${Math.random().toString(36).slice(2)}`,
      sync: { space, autoStart: false, transport: httpTransport({ url, space, fetch: wire.fetch }) },
    })
    await d.joinSpace(space, { encryption: { keys: [await passphraseKey('p', space)] } })
    await d.execute('note.write', { id: 'n1', input: { text: 'fine' } })
    const bad = await d.execute('note.write', { id: 'n2', input: { $cairn: 'mine' } })
    await d.execute('note.write', { id: 'n3', input: { text: 'also fine' } })
    await d.syncNow()
    expect(d.runtime.status.get().rejected).toMatchObject([
      { commandId: bad.commandId, code: 'ENCRYPT_FAILED', message: expect.stringMatching(/reserved key/) },
    ])
    expect(d.runtime.status.get().pending).toBe(0)
    const pulled = await server.fetch(new Request(`${url}/v1/spaces/${space}/pull?after=0`))
    expect(((await pulled.json()) as { head: number }).head).toBe(2)
    await d.close()
  })

  it('joinSpace refuses keys that are not AES-GCM-256, or two keys under one id: INVALID_KEYS, nothing kept', async () => {
    const space = `enc-badkeys-${++n}`
    const server = createSyncServer({ storage: createMemoryStorage(), rateLimit: false })
    const d = device(space, recordWire(server), 'bad')
    const hmac = await crypto.subtle.generateKey({ name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
    const a = await passphraseKey('a', space)
    const b = await passphraseKey('b', space)
    for (const keys of [[{ id: 'k', key: hmac }], [a, { id: a.id, key: b.key }], [{ id: '', key: a.key }]])
      await expect(d.joinSpace(space, { encryption: { keys } })).rejects.toMatchObject({ code: 'INVALID_KEYS' })
    await expect(d.joinSpace(space, { encryption: { keys: 'nope' as unknown as [] } })).rejects.toMatchObject({
      code: 'INVALID_KEYS',
    })
    expect(d.runtime.status.get().spaces[space]).toMatchObject({ encrypted: false, keyIds: [] })
    await d.close()
  })
})
