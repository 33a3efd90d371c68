/**
 * Crypto-shredding through a real server (issue 16): three devices, the server on SQLite (a space in clear) and
 * on PostgreSQL (an end-to-end encrypted space). After `forgetSubject`, the subject's plaintext is in no server
 * table, no device's IndexedDB and no read model; the server's key store answers "forgotten"; the rest syncs on.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createPostgresStorage, createSqliteStorage, createSyncServer, dropPostgresSchema } from '@cairn/server'
import postgres from 'postgres'
import { afterAll, describe, expect, it } from 'vitest'
import { createLocalClient, httpTransport, keyFromPassphrase, REDACTED } from '../src'
import { team } from './fixtures/members'
import { dumpDatabase } from './helpers'

const PG_URL = process.env.CAIRN_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const tmpDir = mkdtempSync(join(tmpdir(), 'cairn-shred-'))
const schemas: string[] = []
const closers: (() => Promise<void>)[] = []
let n = 0

afterAll(async () => {
  for (const close of closers) await close().catch(() => {})
  for (const s of schemas) await dropPostgresSchema(PG_URL, s)
  rmSync(tmpDir, { recursive: true, force: true })
})

const ALICE = { email: 'alice.liddell@example.com', name: 'Alice Liddell', role: 'dev' }
const BOB = { email: 'bob.builder@example.com', name: 'Bob Builder', role: 'ops' }

describe.each([
  ['sqlite', false],
  ['postgres', true],
])('crypto-shredding through a real server on %s (end-to-end encrypted space: %s)', (kind, encrypted) => {
  it('after forget, the subject is in no server table, no device and no read model; deciders run; sync converges', async () => {
    const space = `shred-${kind}-${++n}`
    const dir = join(tmpDir, space)
    const schema = `t_shred_${process.pid}_${n}_${Math.random().toString(36).slice(2, 8)}`
    const storage =
      kind === 'sqlite'
        ? createSqliteStorage({ path: join(dir, 'cairn.db') })
        : await createPostgresStorage({ url: PG_URL, schema })
    closers.push(() => storage.close())
    if (kind === 'postgres') schemas.push(schema)
    const server = createSyncServer({ storage, rateLimit: false })
    const fetch = (input: RequestInfo | URL, init?: RequestInit) => server.fetch(new Request(input, init))
    const key = await keyFromPassphrase('team passphrase', { salt: space, iterations: 1000 })
    const names: string[] = []
    const device = async () => {
      const name = `shred-${kind}-${n}-${names.length}-${Math.random().toString(36).slice(2)}`
      names.push(name)
      const client = createLocalClient(team, {
        name,
        sync: { space, autoStart: false, transport: httpTransport({ url: 'http://cairn.test', space, fetch }) },
      })
      if (encrypted) await client.joinSpace(space, { encryption: { keys: [key] } })
      return client
    }
    const [a, b, c] = [await device(), await device(), await device()]
    await a.execute('member.join', { id: 'alice', input: ALICE })
    await b.execute('member.join', { id: 'bob', input: BOB })
    for (const d of [a, b, c, a]) await d.syncNow()
    expect((await c.query('members.all')).map((m) => m.email)).toEqual([ALICE.email, BOB.email])

    await c.forgetSubject('alice')
    for (const d of [a, b, c]) await d.syncNow()

    // The server's tables, read around it.
    let stored: string
    if (kind === 'sqlite')
      stored = readdirSync(dir)
        .map((f) => readFileSync(join(dir, f)).toString('latin1'))
        .join('\n')
    else {
      const sql = postgres(PG_URL, { max: 1, onnotice: () => {} })
      const tables = await sql<{ table_name: string }[]>`
        SELECT table_name FROM information_schema.tables WHERE table_schema = ${schema}`
      const rows = []
      for (const t of tables) rows.push(await sql.unsafe(`SELECT * FROM ${schema}.${t.table_name}`))
      stored = JSON.stringify(rows)
      await sql.end()
    }
    for (const secret of [ALICE.email, ALICE.name, BOB.email]) expect(stored, secret).not.toContain(secret)
    const keys = await fetch(`http://cairn.test/v1/spaces/${space}/subject-keys`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ subjects: ['alice', 'bob'] }),
    })
    expect((await keys.json()).keys).toMatchObject([
      { subject: 'alice', forgotten: true },
      { subject: 'bob', kid: expect.any(String) },
    ])
    // Every device: no plaintext of Alice anywhere; Bob intact; the read model shows the redaction.
    for (const name of names) {
      const text = await dumpDatabase(name)
      for (const secret of [ALICE.email, ALICE.name]) expect(text, `${name}: ${secret}`).not.toContain(secret)
      expect(text).toContain(BOB.email)
    }
    for (const d of [a, b, c])
      expect(await d.query('members.all')).toMatchObject([
        { id: 'alice', email: REDACTED, name: REDACTED, role: 'dev' },
        { id: 'bob', email: BOB.email },
      ])
    // Deciders run on redacted state, and sync converges.
    await a.execute('member.promote', { id: 'alice', input: { role: 'lead' } })
    await b.execute('member.rename', { id: 'bob', input: { name: 'Robert Builder' } })
    for (const d of [a, b, c, a]) await d.syncNow()
    for (const d of [a, b, c]) {
      expect(await d.query('members.all')).toMatchObject([
        { id: 'alice', role: 'lead', name: REDACTED },
        { id: 'bob', name: 'Robert Builder' },
      ])
      expect(d.runtime.status.get().pending).toBe(0)
    }
    for (const d of [a, b, c]) await d.close()
  })
})
