import { describe, expect, it } from 'vitest'
import { createLocalClient } from '../src/client/local-client'
import { defineAggregate, defineDomain, defineEvents, defineProjection, event, table } from '../src/domain'
import { aggregateSpec } from '../src/testing'
import { MemorySyncServer } from '../src/testing/memory-sync-server'
import { freshName } from './helpers'

/** Version 1 of the app: `Named` carries `{ name }`. */
function v1() {
  const thing = defineAggregate({
    name: 'thing',
    events: defineEvents({ Named: event<{ name: string }>() }),
    initialState: () => ({ title: '' }),
    evolve: { Named: (_s, e) => ({ title: e.data.name }) },
    commands: { name: (_s, input: { name: string }, ctx) => ctx.event('Named', input) },
  })
  const things = defineProjection({
    name: 'things',
    version: 1,
    from: [thing],
    table: table<{ id: string; title: string }>({ key: 'id' }),
    on: { Named: (tx, e) => tx.put({ id: e.streamId, title: e.data.name }) },
    queries: { byId: (t, id: string) => t.get(id) },
  })
  return defineDomain({ aggregates: { thing }, projections: { things } })
}

/** Version 2: `Named` is at schema version 2 with `{ title, lang }`; the upcaster maps v1 data. */
function v2(projectionVersion = 1) {
  const thing = defineAggregate({
    name: 'thing',
    events: defineEvents({
      Named: event<{ title: string; lang: string }>({
        version: 2,
        upcast: { 1: (d) => ({ title: String(d.name), lang: 'en' }) },
      }),
    }),
    initialState: () => ({ title: '', lang: '' }),
    evolve: { Named: (_s, e) => ({ title: e.data.title, lang: e.data.lang }) },
    commands: {
      name: (_s, input: { title: string }, ctx) => ctx.event('Named', { title: input.title, lang: 'en' }),
      shout: (s, _input: Record<string, never>, ctx) =>
        ctx.event('Named', { title: s.title.toUpperCase(), lang: s.lang }),
    },
  })
  const things = defineProjection({
    name: 'things',
    version: projectionVersion,
    from: [thing],
    table: table<{ id: string; title: string; lang: string }>({ key: 'id' }),
    on: { Named: (tx, e) => tx.put({ id: e.streamId, title: e.data.title, lang: e.data.lang }) },
    queries: { byId: (t, id: string) => t.get(id) },
  })
  return defineDomain({ aggregates: { thing }, projections: { things } })
}

/** A newer app version that added an event type the older code does not know. */
function v3() {
  const thing = defineAggregate({
    name: 'thing',
    events: defineEvents({
      Named: event<{ title: string; lang: string }>({
        version: 2,
        upcast: { 1: (d) => ({ title: String(d.name), lang: 'en' }) },
      }),
      Starred: event<{ stars: number }>(),
    }),
    initialState: () => ({ title: '' }),
    evolve: { Named: (_s, e) => ({ title: e.data.title }), Starred: (s) => s },
    commands: { star: (_s, input: { stars: number }, ctx) => ctx.event('Starred', input) },
  })
  return defineDomain({ aggregates: { thing } })
}

describe('upcasters run on every read path; stored events are never rewritten', () => {
  it('an old-version event pulled from the server is upcast for projections and aggregate loads', async () => {
    const server = new MemorySyncServer()
    const old = createLocalClient(v1(), {
      name: freshName('v1'),
      sync: { transport: server.transport(), autoStart: false },
    })
    await old.execute('thing.name', { id: 't', input: { name: 'hello' } })
    await old.syncNow()
    const name = freshName('v2')
    const current = createLocalClient(v2(), { name, sync: { transport: server.transport(), autoStart: false } })
    await current.syncNow()
    expect(await current.query('things.byId', 't')).toEqual({ id: 't', title: 'hello', lang: 'en', space: 'default' })
    // aggregate load: the command sees the upcast state
    await current.execute('thing.shout', { id: 't', input: {} })
    expect((await current.query('things.byId', 't'))?.title).toBe('HELLO')
    // the stored event keeps its original data and version
    const stored = await current.runtime.database.table('events').orderBy(':id').first()
    expect(stored).toMatchObject({ data: { name: 'hello' }, meta: { schemaVersion: 1 } })
    await current.close()
    // rebuild path: a new projection version replays the log through the upcaster
    const rebuilt = createLocalClient(v2(2), { name })
    expect(await rebuilt.query('things.byId', 't')).toEqual({ id: 't', title: 'HELLO', lang: 'en', space: 'default' })
    await rebuilt.close()
    await old.close()
  })

  it('aggregateSpec works with versioned events (given data is at the current version)', () => {
    aggregateSpec(v2().aggregates.thing)
      .given([{ type: 'Named', data: { title: 'x', lang: 'fr' } }])
      .when('shout', {})
      .then([{ type: 'Named', data: { title: 'X', lang: 'fr' } }])
  })

  it('an unknown event type from a newer client is kept, synced and reported — not dropped, no crash', async () => {
    const server = new MemorySyncServer()
    const newer = createLocalClient(v3(), {
      name: freshName('v3'),
      sync: { transport: server.transport(), autoStart: false },
    })
    const older = createLocalClient(v2(), {
      name: freshName('v2'),
      sync: { transport: server.transport(), autoStart: false },
    })
    await older.execute('thing.name', { id: 't', input: { title: 'kept' } })
    await older.syncNow()
    await newer.syncNow()
    await newer.execute('thing.star', { id: 't', input: { stars: 5 } })
    await newer.syncNow()
    await older.syncNow()
    const log = await older.runtime.database.table('events').toArray()
    expect(log.map((e) => e.type)).toEqual(['Named', 'Starred'])
    expect(log.every((e) => e.gpos !== undefined)).toBe(true)
    expect(older.runtime.status.get().unknownEventTypes).toEqual(['thing.Starred'])
    // the older client keeps working on the same stream, after the unknown event
    await older.execute('thing.shout', { id: 't', input: {} })
    await older.syncNow()
    expect(server.log.map((e) => e.type)).toEqual(['Named', 'Starred', 'Named'])
    expect((await older.query('things.byId', 't'))?.title).toBe('KEPT')
    await older.close()
    await newer.close()
  })

  it('a version without its upcaster is refused at definition time', () => {
    expect(() => event<{ a: number }>({ version: 3, upcast: { 1: (d) => d } })).toThrow(/upcaster for version 2/)
  })
})
