import type { WireEvent } from '@cairn/core/protocol'
import postgres from 'postgres'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMemoryStorage } from '../src/storage/memory.js'
import { createPostgresStorage, dropPostgresSchema } from '../src/storage/postgres.js'
import { createSqliteStorage } from '../src/storage/sqlite.js'
import type { LiveNotification, SubjectKeyMaterial, SyncStorage } from '../src/storage/types.js'
import { newSubjectKey } from '../src/subject-keys.js'
import { ev, PG_URL, tempDir, uniqueSchema, waitFor } from './helpers.js'

const tmp = tempDir()
const schema = uniqueSchema('conformance')
let n = 0

const adapters: [string, () => Promise<SyncStorage>][] = [
  ['memory', async () => createMemoryStorage()],
  ['sqlite', async () => createSqliteStorage({ path: `${tmp.dir}/db-${++n}/cairn.db` })],
  ['postgres', async () => createPostgresStorage({ url: PG_URL, schema: `${schema}_${++n}` })],
]
const opened: SyncStorage[] = []
const pgSchemas: string[] = []

/** A key generator that counts its calls. */
function keyMaker(): { make: () => SubjectKeyMaterial; made: SubjectKeyMaterial[] } {
  const made: SubjectKeyMaterial[] = []
  return {
    made,
    make: () => {
      const key = newSubjectKey()
      made.push(key)
      return key
    },
  }
}

afterAll(async () => {
  for (const s of opened) await s.close().catch(() => {})
  for (const s of pgSchemas) await dropPostgresSchema(PG_URL, s)
  tmp.cleanup()
})

describe.each(adapters)('storage conformance: %s', (name, make) => {
  let storage: SyncStorage
  beforeAll(async () => {
    storage = await make()
    opened.push(storage)
    if (name === 'postgres') pgSchemas.push(`${schema}_${n}`)
  })

  describe('subject keys', () => {
    it('returns no key without create, makes one with it, then returns that one', async () => {
      expect(await storage.subjectKeys('keys-1', ['alice', 'bob'])).toEqual(new Map())
      const { make, made } = keyMaker()
      const created = await storage.subjectKeys('keys-1', ['alice'], make)
      expect(made).toHaveLength(1)
      expect(created).toEqual(new Map([['alice', made[0]]]))
      expect(made[0]!.key).toMatch(/^[A-Za-z0-9_-]{43}$/)
      expect(made[0]!.kid).toMatch(/^[A-Za-z0-9_-]{22}$/)
      expect(await storage.subjectKeys('keys-1', ['alice', 'bob'])).toEqual(new Map([['alice', made[0]]]))
      // again with create: the stored key, nothing new made for it; bob gets his own
      const again = await storage.subjectKeys('keys-1', ['alice', 'bob'], make)
      expect(made).toHaveLength(2)
      expect(again).toEqual(
        new Map([
          ['alice', made[0]],
          ['bob', made[1]],
        ]),
      )
      expect(made[1]!.key).not.toBe(made[0]!.key)
    })

    it('keeps keys per space', async () => {
      const a = await storage.subjectKeys('keys-a', ['carol'], newSubjectKey)
      const b = await storage.subjectKeys('keys-b', ['carol'], newSubjectKey)
      expect(a.get('carol')).not.toEqual(b.get('carol'))
      await storage.forgetSubject('keys-a', 'carol')
      expect(await storage.subjectKeys('keys-a', ['carol'])).toEqual(new Map([['carol', 'forgotten']]))
      expect(await storage.subjectKeys('keys-b', ['carol'])).toEqual(new Map([['carol', b.get('carol')]]))
    })

    it('forgets a subject for good: its key is gone and a forgotten subject gets no new key', async () => {
      await storage.subjectKeys('keys-2', ['dave', 'erin'], newSubjectKey)
      await storage.forgetSubject('keys-2', 'dave')
      const { make, made } = keyMaker()
      const after = await storage.subjectKeys('keys-2', ['dave', 'erin'], make)
      expect(made).toHaveLength(0)
      expect(after.get('dave')).toBe('forgotten')
      expect(after.get('erin')).toMatchObject({ key: expect.any(String) })
      // idempotent, and a subject that never had a key is recorded as forgotten too
      await storage.forgetSubject('keys-2', 'dave')
      await storage.forgetSubject('keys-2', 'never-had-one')
      expect(await storage.subjectKeys('keys-2', ['dave', 'never-had-one'], make)).toEqual(
        new Map([
          ['dave', 'forgotten'],
          ['never-had-one', 'forgotten'],
        ]),
      )
      expect(made).toHaveLength(0)
    })

    it('create is idempotent: the same key for the same subject, also when calls race', async () => {
      const results = await Promise.all(
        Array.from({ length: 10 }, () => storage.subjectKeys('keys-race', ['frank', 'grace'], newSubjectKey)),
      )
      for (const subject of ['frank', 'grace']) {
        const keys = new Set(results.map((r) => JSON.stringify(r.get(subject))))
        expect(keys.size).toBe(1)
      }
      expect(await storage.subjectKeys('keys-race', ['frank', 'grace'])).toEqual(results[0])
    })

    it('a forget racing creations leaves the subject forgotten, with no key', async () => {
      const subjects = Array.from({ length: 20 }, (_, i) => `racer-${i}`)
      await Promise.all(
        subjects.flatMap((subject) => [
          storage.subjectKeys('keys-forget-race', [subject], newSubjectKey),
          storage.forgetSubject('keys-forget-race', subject),
          storage.subjectKeys('keys-forget-race', [subject], newSubjectKey),
        ]),
      )
      const states = await storage.subjectKeys('keys-forget-race', subjects, newSubjectKey)
      expect([...states.values()]).toEqual(subjects.map(() => 'forgotten'))
    })
  })

  it('appends, assigns seq 1..n and reads back in order', async () => {
    const events = [
      ev('card:1', 1, { a: 1 }),
      ev('card:1', 2, { a: 2 }),
      ev('card:2', 1, { nested: { x: [1, 'two'] } }),
    ]
    events[0]!.meta = { clientId: 'c1' }
    const result = await storage.append('s1', 'c1', events)
    expect(result).toMatchObject({ ok: true, head: 3, accepted: events.map((e, i) => ({ id: e.id, seq: i + 1 })) })
    expect(await storage.read('s1', 0, 100)).toEqual(events.map((e, i) => ({ ...e, seq: i + 1 })))
    expect(await storage.read('s1', 1, 1)).toEqual([{ ...events[1], seq: 2 }])
    expect(await storage.head('s1')).toBe(3)
    expect(await storage.head('empty-space')).toBe(0)
    expect(await storage.read('empty-space', 0, 10)).toEqual([])
  })

  it('reads at most maxBytes of payload per page, always at least one event', async () => {
    const pad = 'x'.repeat(10_000)
    const events = Array.from({ length: 6 }, (_, i) => ev(`big:${i}`, 1, { pad }))
    events[1]!.meta = { note: pad }
    await storage.append('bytes', 'c1', events)
    // payload = data (+ meta) JSON: ~10 KB each, ~20 KB for the second
    const seqs = async (after: number, limit: number, maxBytes?: number) =>
      (await storage.read('bytes', after, limit, maxBytes)).map((e) => e.seq)
    expect(await seqs(0, 100, 25_000)).toEqual([1, 2])
    expect(await seqs(0, 100, 35_000)).toEqual([1, 2, 3])
    expect(await seqs(2, 100, 1)).toEqual([3])
    expect(await seqs(0, 2, 1_000_000)).toEqual([1, 2])
    expect(await seqs(4, 100, 25_000)).toEqual([5, 6])
    expect(await seqs(0, 100)).toEqual([1, 2, 3, 4, 5, 6])
    expect(await seqs(6, 100, 10)).toEqual([])
  })

  it('accepts an identical retry with the original seq and stores nothing new', async () => {
    const e = ev('r:1', 1, { k: 'v', z: 1 })
    const first = await storage.append('s2', 'c1', [e])
    const reordered: WireEvent = { ...e, data: { z: 1, k: 'v' } }
    const again = await storage.append('s2', 'c1', [reordered, ev('r:1', 2)])
    expect(first).toMatchObject({ ok: true, accepted: [{ id: e.id, seq: 1 }] })
    expect(again).toMatchObject({ ok: true, head: 2, accepted: [{ id: e.id, seq: 1 }, { seq: 2 }] })
    expect((await storage.read('s2', 0, 10)).map((x) => x.seq)).toEqual([1, 2])
  })

  it('rejects the same id with different content (ID_REUSED) and stores nothing of the batch', async () => {
    const e = ev('u:1', 1, { v: 1 })
    await storage.append('s3', 'c1', [e])
    const result = await storage.append('s3', 'c1', [ev('u:2', 1), { ...e, data: { v: 2 } }])
    expect(result).toEqual({ ok: false, code: 'ID_REUSED', ids: [e.id], head: 1 })
    expect(await storage.head('s3')).toBe(1)
    expect(await storage.read('s3', 0, 10)).toHaveLength(1)
  })

  it('rejects a wrong version (CONFLICT) with expected/actual and stores nothing of the batch', async () => {
    await storage.append('s4', 'c1', [ev('c:1', 1), ev('c:1', 2)])
    const result = await storage.append('s4', 'c1', [ev('c:2', 1), ev('c:1', 2), ev('c:3', 2)])
    expect(result).toEqual({
      ok: false,
      code: 'CONFLICT',
      head: 2,
      streams: [
        { stream: 'c:1', expected: 3, actual: 2 },
        { stream: 'c:3', expected: 1, actual: 2 },
      ],
    })
    expect(await storage.head('s4')).toBe(2)
    expect(await storage.append('s4', 'c1', [ev('c:1', 3), ev('c:1', 4)])).toMatchObject({ ok: true, head: 4 })
  })

  it('finds stored events by id, in their space only', async () => {
    const events = [ev('find:1', 1, { a: 1 }), ev('find:1', 2, { a: 2 })]
    events[1]!.meta = { commandId: 'cmd' }
    await storage.append('find', 'c1', events)
    const found = await storage.find!('find', [events[1]!.id, 'never-stored', events[1]!.id])
    expect(found).toEqual([{ ...events[1], seq: 2 }])
    expect(await storage.find!('other-space', [events[0]!.id])).toEqual([])
  })

  it('keeps spaces independent', async () => {
    await storage.append('iso-a', 'c', [ev('x:1', 1)])
    await storage.append('iso-b', 'c', [ev('x:1', 1), ev('x:1', 2)])
    expect(await storage.head('iso-a')).toBe(1)
    expect((await storage.read('iso-b', 0, 10)).map((e) => e.seq)).toEqual([1, 2])
  })

  it('has a stable backend id', async () => {
    const id = await storage.backendId()
    expect(id).toMatch(/^[0-9a-f-]{36}$/)
    expect(await storage.backendId()).toBe(id)
  })

  it('notifies subscribers after each commit, and not after an unsubscribe', async () => {
    const seen: LiveNotification[] = []
    const off = storage.subscribe('s5', (notification) => seen.push(notification))
    await storage.append('s5', 'c', [ev('l:1', 1), ev('l:1', 2)])
    await waitFor(() => seen.some((x) => x.head === 2 && x.events?.length === 2), 5000, 'notification')
    off()
    const count = seen.length
    await storage.append('s5', 'c', [ev('l:1', 3)])
    expect(seen.length).toBe(count)
  })

  it('assigns gapless seqs under 50 concurrent appenders', async () => {
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => storage.append('busy', `c${i}`, [ev(`s:${i}`, 1), ev(`s:${i}`, 2)])),
    )
    expect(results.every((r) => r.ok)).toBe(true)
    const seqs = results.flatMap((r) => (r.ok ? r.accepted.map((a) => a.seq) : []))
    expect([...seqs].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1))
    const log = await storage.read('busy', 0, 1000)
    expect(log.map((e) => e.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1))
    expect(new Set(log.map((e) => e.id)).size).toBe(100)
  })

  it('lets exactly one of several concurrent writers of the same stream version win', async () => {
    const results = await Promise.all(Array.from({ length: 10 }, () => storage.append('race', 'c', [ev('same:1', 1)])))
    expect(results.filter((r) => r.ok)).toHaveLength(1)
    expect(results.filter((r) => !r.ok && r.code === 'CONFLICT')).toHaveLength(9)
    expect(await storage.head('race')).toBe(1)
  })
})

describe('storage conformance: postgres, two instances on one schema', () => {
  const shared = `${schema}_shared`
  let a: SyncStorage
  let b: SyncStorage
  beforeAll(async () => {
    a = await createPostgresStorage({ url: PG_URL, schema: shared })
    b = await createPostgresStorage({ url: PG_URL, schema: shared })
    opened.push(a, b)
    pgSchemas.push(shared)
  })

  it('create is idempotent across instances: racing creators all get the one key stored', async () => {
    const subjects = Array.from({ length: 10 }, (_, i) => `user-${i}`)
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? a : b).subjectKeys('shared', subjects, newSubjectKey)),
    )
    for (const subject of subjects) {
      expect(new Set(results.map((r) => JSON.stringify(r.get(subject)))).size).toBe(1)
      expect(results[0]!.get(subject)).toMatchObject({ key: expect.any(String) })
    }
    expect(await b.subjectKeys('shared', subjects)).toEqual(results[0])
  })

  it('a forget on one instance racing creations on the other leaves no key', async () => {
    const subjects = Array.from({ length: 50 }, (_, i) => `racer-${i}`)
    await Promise.all(
      subjects.flatMap((subject) => [
        a.subjectKeys('shared-race', [subject], newSubjectKey),
        b.forgetSubject('shared-race', subject),
        a.subjectKeys('shared-race', [subject], newSubjectKey),
        b.subjectKeys('shared-race', [subject], newSubjectKey),
      ]),
    )
    const fromA = await a.subjectKeys('shared-race', subjects, newSubjectKey)
    expect([...fromA.values()]).toEqual(subjects.map(() => 'forgotten'))
    expect(await b.subjectKeys('shared-race', subjects)).toEqual(fromA)
    // and no key row was left behind beside a tombstone (the adapter would still answer 'forgotten')
    const sql = postgres(PG_URL, { max: 1, onnotice: () => {} })
    try {
      const rows = await sql.unsafe(`SELECT subject FROM "${shared}".subject_keys WHERE space = 'shared-race'`)
      expect(rows).toEqual([])
    } finally {
      await sql.end({ timeout: 5 })
    }
  })
})
