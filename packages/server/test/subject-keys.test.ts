import { existsSync, readFileSync } from 'node:fs'
import type { ErrorBody, ForgetResponse, StoredWireEvent, SubjectKey, SubjectKeysResponse } from '@cairn/core/protocol'
import postgres from 'postgres'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { forgottenEventId } from '../src/forget.js'
import { type RunningServer, type StartServerOptions, startServer } from '../src/start.js'
import { dropPostgresSchema } from '../src/storage/postgres.js'
import {
  ev,
  type LiveClient,
  openLive,
  PG_URL,
  post,
  pullAll,
  push,
  tempDir,
  uniqueSchema,
  waitFor,
} from './helpers.js'

const tmp = tempDir()
const schema = uniqueSchema('subjects')
const pgSchemas: string[] = []
const running: RunningServer[] = []
const clients: LiveClient[] = []
let n = 0

const start = async (options: StartServerOptions) => {
  const server = await startServer({ port: 0, rateLimit: false, ...options })
  running.push(server)
  return server
}
const live = async (url: string, body?: unknown) => {
  const client = await openLive(url, {}, body)
  clients.push(client)
  return client
}
afterEach(async () => {
  for (const c of clients.splice(0)) c.close()
  await Promise.all(running.splice(0).map((s) => s.close()))
})
afterAll(async () => {
  for (const s of pgSchemas) await dropPostgresSchema(PG_URL, s)
  tmp.cleanup()
})

const sqliteOptions = (): StartServerOptions => ({ db: `${tmp.dir}/db-${++n}/cairn.db` })
const postgresOptions = (): StartServerOptions => {
  const pgSchema = `${schema}_${++n}`
  pgSchemas.push(pgSchema)
  return { databaseUrl: PG_URL, pgSchema }
}

const keysOf = (body: Record<string, unknown>) => (body as unknown as SubjectKeysResponse).keys
const withKey = (keys: SubjectKey[], subject: string) =>
  keys.find((k): k is Extract<SubjectKey, { key: string }> => k.subject === subject && 'key' in k)!
const subjectKeys = (url: string, space: string, body: unknown, headers: Record<string, string> = {}) =>
  post(`${url}/v1/spaces/${space}/subject-keys`, body, headers)
const forget = (url: string, space: string, subject: unknown, headers: Record<string, string> = {}) =>
  post(`${url}/v1/spaces/${space}/forget`, { subject }, headers)
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` })

describe.each([
  ['sqlite', sqliteOptions],
  ['postgres', postgresOptions],
])('subject keys and forget over HTTP (%s)', (_name, storageOptions) => {
  it('creates keys only when asked, returns them again, and omits subjects without one', async () => {
    const { url } = await start(storageOptions())
    expect(await subjectKeys(url, 's', { subjects: ['alice', 'bob'] })).toEqual({
      status: 200,
      body: { keys: [] },
      headers: expect.anything(),
    })
    const created = await subjectKeys(url, 's', { subjects: ['alice'], create: true })
    expect(created.status).toBe(200)
    const alice = withKey(keysOf(created.body), 'alice')
    expect(alice).toEqual({ subject: 'alice', kid: expect.stringMatching(/^[\w-]{22}$/), key: expect.any(String) })
    expect(Buffer.from(alice.key, 'base64url')).toHaveLength(32)
    // without create: alice's key, bob left out; with create: alice's same key, and bob's new one, in the order asked
    expect(keysOf((await subjectKeys(url, 's', { subjects: ['bob', 'alice'], create: false })).body)).toEqual([alice])
    const both = keysOf((await subjectKeys(url, 's', { subjects: ['bob', 'alice'], create: true })).body)
    expect(both.map((k) => k.subject)).toEqual(['bob', 'alice'])
    expect(both[1]).toEqual(alice)
    expect(withKey(both, 'bob').key).not.toBe(alice.key)
    // keys are per space
    const elsewhere = keysOf((await subjectKeys(url, 'other', { subjects: ['alice'], create: true })).body)
    expect(withKey(elsewhere, 'alice').key).not.toBe(alice.key)
  })

  it('forgets a subject for good, appends $SubjectForgotten once (pullable, live), idempotently', async () => {
    const { url } = await start(storageOptions())
    await post(`${url}/v1/spaces/s/push`, push([ev('card:1', 1)]))
    await subjectKeys(url, 's', { subjects: ['alice', 'bob'], create: true })
    const single = await live(`${url}/v1/spaces/s/live?after=1`)
    const multi = await live(`${url}/v1/live`, { spaces: [{ space: 's', after: 1 }] })
    await waitFor(() => single.messages.length > 0 && multi.messages.length > 0, 5000, 'ready')

    const first = await forget(url, 's', 'alice')
    expect(first).toMatchObject({ status: 200, body: { subject: 'alice', seq: 2 } satisfies ForgetResponse })
    const expected: StoredWireEvent = {
      id: forgottenEventId('s', 'alice'),
      stream: '$cairn:forgotten:alice',
      version: 1,
      type: '$SubjectForgotten',
      data: { subject: 'alice' },
      seq: 2,
    }
    expect(expected.id).toMatch(/^forgotten-[\w-]{32}$/)
    expect((await pullAll(url, 's'))[1]).toEqual(expected)
    await waitFor(() => single.events().length === 1, 5000, 'live event')
    expect(single.events()).toEqual([expected])
    await waitFor(() => multi.messages.some((m) => m.event === 'poke'), 5000, 'live poke')
    expect(JSON.parse(multi.messages.find((m) => m.event === 'poke')!.data)).toEqual({ space: 's', head: 2 })

    // the key is gone and never comes back; bob keeps his
    const after = keysOf((await subjectKeys(url, 's', { subjects: ['alice', 'bob'], create: true })).body)
    expect(after[0]).toEqual({ subject: 'alice', forgotten: true })
    expect(withKey(after, 'bob')).toBeDefined()
    expect(keysOf((await subjectKeys(url, 's', { subjects: ['alice'] })).body)).toEqual([
      { subject: 'alice', forgotten: true },
    ])

    // a retried forget answers the same seq and appends nothing, whatever proof it carries (the first one stays)
    expect(await forget(url, 's', 'alice')).toMatchObject({ status: 200, body: { subject: 'alice', seq: 2 } })
    const proof = { $cairn: 'enc1', kid: 'k', iv: 'AAAAAAAAAAAAAAAA', ct: 'AAAAAAAAAAAAAAAAAAAAAA' }
    expect(await post(`${url}/v1/spaces/s/forget`, { subject: 'alice', proof })).toMatchObject({
      status: 200,
      body: { subject: 'alice', seq: 2 },
    })
    expect(await pullAll(url, 's')).toHaveLength(2)
    // a forget with a proof (an end-to-end encrypted space) carries it in its event
    expect(await post(`${url}/v1/spaces/s/forget`, { subject: 'dave', proof })).toMatchObject({ status: 200 })
    expect((await pullAll(url, 's')).at(-1)).toMatchObject({ data: { subject: 'dave', proof } })
    // a subject that never had a key: recorded forgotten, and told
    expect(await forget(url, 's', 'carol')).toMatchObject({ status: 200, body: { subject: 'carol', seq: 4 } })
    expect(keysOf((await subjectKeys(url, 's', { subjects: ['carol'], create: true })).body)).toEqual([
      { subject: 'carol', forgotten: true },
    ])
  })
})

describe('subject keys and forget: requests', () => {
  it('refuses malformed bodies with 400 BAD_REQUEST, and bodies not sent as JSON with 415', async () => {
    const { url } = await start({ db: `${tmp.dir}/bad/cairn.db` })
    const bad: unknown[] = [
      [],
      'alice',
      {},
      { subjects: [] },
      { subjects: 'alice' },
      { subjects: [42] },
      { subjects: [''] },
      { subjects: ['x'.repeat(101)] },
      { subjects: ['a\u0000b'] },
      { subjects: ['a\nb'] },
      { subjects: ['\uD800'] },
      { subjects: ['alice', 'alice'] },
      { subjects: Array.from({ length: 101 }, (_, i) => `s${i}`) },
      { subjects: ['alice'], create: 'yes' },
      { subjects: ['alice'], extra: 1 },
    ]
    for (const body of bad) {
      const res = await subjectKeys(url, 's', body)
      expect({ body, status: res.status, code: res.body.code }).toEqual({ body, status: 400, code: 'BAD_REQUEST' })
    }
    expect((await subjectKeys(url, 's', '{"subjects":')).status).toBe(400)
    expect((await subjectKeys(url, 'bad space!', { subjects: ['a'] })).status).toBe(400)
    const envelope = { $cairn: 'enc1', kid: 'k', iv: 'AAAAAAAAAAAAAAAA', ct: 'AAAAAAAAAAAAAAAAAAAAAA' }
    for (const body of [
      {},
      { subject: '' },
      { subject: 7 },
      { subject: 'x'.repeat(101) },
      { subject: 'a', x: 1 },
      { subject: 'a', proof: 'x' },
      { subject: 'a', proof: { ...envelope, extra: 1 } },
      { subject: 'a', proof: { ...envelope, ct: 'A'.repeat(3000) } },
    ]) {
      const res = await post(`${url}/v1/spaces/s/forget`, body)
      expect({ body, status: res.status, code: res.body.code }).toEqual({ body, status: 400, code: 'BAD_REQUEST' })
    }
    // the longest subject and 100 subjects are fine
    const many = Array.from({ length: 100 }, (_, i) => `${i}`.padStart(100, 'x'))
    expect(keysOf((await subjectKeys(url, 's', { subjects: many, create: true })).body)).toHaveLength(100)
    expect((await forget(url, 's', many[0])).status).toBe(200)
    for (const path of ['subject-keys', 'forget']) {
      const res = await fetch(`${url}/v1/spaces/s/${path}`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: JSON.stringify({ subjects: ['a'], subject: 'a' }),
      })
      expect(res.status).toBe(415)
    }
    // nothing of the refused requests was stored
    expect(await pullAll(url, 's')).toHaveLength(1)
  })

  it('admits like a push: 401 without a token, 403 for a space not granted; authorizeForget decides who forgets', async () => {
    const asked: unknown[] = []
    const { url } = await start({
      tokens: 'adm=admin:team-1;ed=editor:team-1;other=eve:team-2',
      authorizeForget: (request) => {
        asked.push(request)
        return request.principal === 'admin'
      },
    })
    for (const call of [
      () => subjectKeys(url, 'team-1', { subjects: ['alice'] }),
      () => subjectKeys(url, 'team-1', { subjects: ['alice'] }, bearer('nope')),
      () => forget(url, 'team-1', 'alice'),
    ])
      expect(await call()).toMatchObject({ status: 401, body: { code: 'UNAUTHORIZED' } })
    for (const call of [
      () => subjectKeys(url, 'team-1', { subjects: ['alice'], create: true }, bearer('other')),
      () => subjectKeys(url, 'team-1', { subjects: ['alice'] }, bearer('other')),
      () => forget(url, 'team-1', 'alice', bearer('other')),
    ])
      expect(await call()).toMatchObject({ status: 403, body: { code: 'FORBIDDEN' } })
    expect(asked).toEqual([])

    const created = await subjectKeys(url, 'team-1', { subjects: ['alice'], create: true }, bearer('ed'))
    expect(created.status).toBe(200)
    const refused = await forget(url, 'team-1', 'alice', bearer('ed'))
    expect(refused).toMatchObject({ status: 403, body: { code: 'FORBIDDEN' } })
    expect(asked).toEqual([{ principal: 'editor', space: 'team-1', subject: 'alice' }])
    // refused: the key is still there, nothing appended
    expect(keysOf((await subjectKeys(url, 'team-1', { subjects: ['alice'] }, bearer('ed'))).body)).toEqual(
      keysOf(created.body),
    )
    expect(await forget(url, 'team-1', 'alice', bearer('adm'))).toMatchObject({ status: 200, body: { seq: 1 } })
  })

  it('counts against the rate limit like any request', async () => {
    const { url } = await start({ rateLimit: { ratePerSecond: 0.001, burst: 2 } })
    expect((await subjectKeys(url, 's', { subjects: ['a'] })).status).toBe(200)
    expect((await forget(url, 's', 'a')).status).toBe(200)
    expect(await subjectKeys(url, 's', { subjects: ['a'] })).toMatchObject({
      status: 429,
      body: { code: 'RATE_LIMITED' },
    })
  })

  it('refuses client pushes to $cairn: streams (and of reserved ids) for good, before any hook', async () => {
    const judged: string[] = []
    const { url } = await start({
      requireEncryption: true,
      authorizeEvent: ({ event }) => {
        judged.push(event.id)
        return true
      },
    })
    const envelope = { $cairn: 'enc1', kid: 'k', iv: 'AAAAAAAAAAAAAAAA', ct: 'AAAA' }
    const fine = { ...ev('card:1', 1, envelope), meta: { commandId: 'cmd-fine' } }
    const system = { ...ev('$cairn:x', 1, envelope), meta: { commandId: 'cmd-system' } }
    const squatter = { ...ev('card:2', 1, envelope), id: forgottenEventId('s', 'alice') }
    const res = await post(`${url}/v1/spaces/s/push`, push([fine, system, squatter]))
    expect(res.status).toBe(403)
    expect(res.body).toMatchObject({ code: 'FORBIDDEN' })
    expect((res.body as unknown as ErrorBody).refused).toEqual([
      {
        id: system.id,
        commandId: 'cmd-system',
        code: 'FORBIDDEN',
        message: 'reserved stream',
        details: { index: 1, stream: '$cairn:x' },
      },
      { id: squatter.id, code: 'FORBIDDEN', message: 'reserved id', details: { index: 2, stream: 'card:2' } },
    ])
    expect(judged).toEqual([fine.id])
    expect(await pullAll(url, 's')).toEqual([])

    // the server's own event is neither validated (it is not an envelope) nor authorized per event
    expect(await forget(url, 's', 'alice')).toMatchObject({ status: 200, body: { seq: 1 } })
    expect((await pullAll(url, 's'))[0]).toMatchObject({ id: squatter.id, data: { subject: 'alice' } })
    expect(judged).toEqual([fine.id])
    // a client cannot push it again either, not even as an identical copy
    const { seq: _seq, ...copy } = (await pullAll(url, 's'))[0]!
    expect(await post(`${url}/v1/spaces/s/push`, push([copy]))).toMatchObject({ status: 403 })
    expect((await post(`${url}/v1/spaces/s/push`, push([fine]))).status).toBe(200)
  })
})

describe('two instances on one PostgreSQL', { timeout: 30_000 }, () => {
  it('share keys and tombstones, and the forget reaches live clients of the other instance', async () => {
    const options = postgresOptions()
    const [a, b] = await Promise.all([start(options), start(options)])
    const fromA = await subjectKeys(a!.url, 's', { subjects: ['alice'], create: true })
    const fromB = await subjectKeys(b!.url, 's', { subjects: ['alice'], create: true })
    expect(fromB.body).toEqual(fromA.body)
    const client = await live(`${b!.url}/v1/spaces/s/live`)
    await waitFor(() => client.messages.length > 0, 5000, 'ready')
    expect((await forget(a!.url, 's', 'alice')).body).toEqual({ subject: 'alice', seq: 1 })
    await waitFor(() => client.events().length === 1, 5000, 'the forget event on the other instance')
    expect(client.events()[0]).toMatchObject({ type: '$SubjectForgotten', data: { subject: 'alice' } })
    expect(keysOf((await subjectKeys(b!.url, 's', { subjects: ['alice'], create: true })).body)).toEqual([
      { subject: 'alice', forgotten: true },
    ])
    expect((await forget(b!.url, 's', 'alice')).body).toEqual({ subject: 'alice', seq: 1 })
  })
})

/** 300 subjects' keys in a space, in three requests; returns them by subject. */
async function manyKeys(url: string, space: string): Promise<Map<string, string>> {
  const keys = new Map<string, string>()
  for (let batch = 0; batch < 3; batch++) {
    const subjects = Array.from({ length: 100 }, (_, i) => `user-${batch * 100 + i}@example.com`)
    const res = await subjectKeys(url, space, { subjects, create: true })
    for (const key of keysOf(res.body)) if ('key' in key) keys.set(key.subject, key.key)
  }
  expect(keys.size).toBe(300)
  return keys
}

describe('what a forget leaves on disk', { timeout: 30_000 }, () => {
  it('SQLite: the key is in neither the database file nor its WAL', async () => {
    const dir = `${tmp.dir}/disk`
    const files = [`${dir}/cairn.db`, `${dir}/cairn.db-wal`]
    const onDisk = (text: string) =>
      files.some((file) => existsSync(file) && readFileSync(file).includes(Buffer.from(text, 'latin1')))
    const { url } = await start({ db: `${dir}/cairn.db` })
    await post(`${url}/v1/spaces/s/push`, push([ev('card:1', 1, { title: 'x'.repeat(5000) })]))
    const keys = await manyKeys(url, 's')
    const forgotten = ['user-0@example.com', 'user-150@example.com', 'user-299@example.com']
    // the check can see a key: every one is on disk before its forget
    for (const subject of forgotten) expect(onDisk(keys.get(subject)!)).toBe(true)
    for (const subject of forgotten) expect((await forget(url, 's', subject)).status).toBe(200)
    for (const subject of forgotten) expect(onDisk(keys.get(subject)!)).toBe(false)
    // the others are still there, and still served
    expect(onDisk(keys.get('user-1@example.com')!)).toBe(true)
    const answer = keysOf((await subjectKeys(url, 's', { subjects: ['user-1@example.com', forgotten[0]] })).body)
    expect(answer).toEqual([
      { subject: 'user-1@example.com', kid: expect.any(String), key: keys.get('user-1@example.com') },
      { subject: forgotten[0], forgotten: true },
    ])
  })

  it('PostgreSQL: the key is in no row of any table of the schema', async () => {
    const options = postgresOptions()
    const { url } = await start(options)
    const keys = await manyKeys(url, 's')
    const sql = postgres(PG_URL, { max: 1, onnotice: () => {} })
    try {
      const rowsHolding = async (text: string) => {
        const tables = await sql<{ name: string }[]>`
          SELECT table_name AS name FROM information_schema.tables WHERE table_schema = ${options.pgSchema!}`
        expect(tables.map((t) => t.name).sort()).toEqual(
          ['cairn_meta', 'events', 'forgotten_subjects', 'spaces', 'subject_keys'].sort(),
        )
        let found = 0
        for (const { name } of tables) {
          const [row] = await sql.unsafe<{ count: string }[]>(
            `SELECT count(*) AS count FROM "${options.pgSchema}"."${name}" t WHERE strpos(t::text, $1) > 0`,
            [text],
          )
          found += Number(row!.count)
        }
        return found
      }
      const subject = 'user-42@example.com'
      expect(await rowsHolding(keys.get(subject)!)).toBe(1)
      expect((await forget(url, 's', subject)).status).toBe(200)
      expect(await rowsHolding(keys.get(subject)!)).toBe(0)
      expect(await rowsHolding(keys.get('user-43@example.com')!)).toBe(1)
    } finally {
      await sql.end({ timeout: 5 })
    }
  })
})
