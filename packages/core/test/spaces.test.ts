/**
 * Issue 14: many spaces in one database. One client joins several spaces, each its own in-memory server; commands
 * name their space; sync keeps every space apart; leaving removes a space's data; a failure in one space never
 * stops the others.
 */
import { describe, expect, it } from 'vitest'
import { createLocalClient, type LocalClient } from '../src/client/local-client'
import { defineProjection, table } from '../src/domain'
import type { AnyDomain } from '../src/domain/domain'
import { defineDomain } from '../src/domain/domain'
import { SyncHttpError, type SyncTransport, spacesTransport } from '../src/sync/transport'
import type { MemorySyncServer } from '../src/testing/memory-sync-server'
import { counter, note, notesProjection } from './fixtures/failure-domain'
import { type Servers, servers, spacesClient } from './fixtures/spaces-helpers'
import { freshName } from './helpers'

/** Notes per space, and one row counting notes of every space (`scope: 'all'`). */
const totals = defineProjection({
  name: 'totals',
  version: 1,
  scope: 'all',
  from: [note],
  table: table<{ id: string; n: number }>({ key: 'id' }),
  on: {
    Written: async (tx, _e) => {
      const row = await tx.get('all')
      await tx.put({ id: 'all', n: (row?.n ?? 0) + 1 })
    },
  },
  queries: { n: async (t) => (await t.get('all'))?.n ?? 0 },
})

const domain = defineDomain({
  aggregates: { note, counter },
  projections: { notes: notesProjection(), totals },
})

/** A client of the shared fixture, with one space's transport replaced when `transportOf` is given. */
function client<D extends AnyDomain>(
  d: D,
  all: Servers,
  spaces: string[],
  options: { name?: string; transportOf?: (space: string) => SyncTransport | undefined } = {},
): LocalClient<D> {
  const { name, transportOf } = options
  return spacesClient(d, all, spaces, {
    ...(name === undefined ? {} : { name }),
    ...(transportOf === undefined ? {} : { transport: spacesTransport(transportOf) }),
  })
}

const rowsOf = async (c: LocalClient<typeof domain>) =>
  (await c.find('notes')).map((r) => `${r.space}:${r.text}`).sort()

describe('many spaces in one database', () => {
  it('keeps spaces apart: each server gets its space, a client holds only the spaces it joined', async () => {
    const all = servers('a', 'b')
    const both = client(domain, all, ['a', 'b'])
    const onlyB = client(domain, all, ['b'])
    await both.execute('note.write', { id: 'n1', space: 'a', input: { text: 'in a' } })
    await both.execute('note.write', { id: 'n2', space: 'b', input: { text: 'in b' } })
    await both.syncNow()
    expect(all.get('a')?.log.map((e) => e.stream)).toEqual(['note:n1'])
    expect(all.get('b')?.log.map((e) => e.stream)).toEqual(['note:n2'])
    await onlyB.syncNow()
    expect(await rowsOf(onlyB)).toEqual(['b:in b'])
    expect((await onlyB.runtime.database.table('events').toArray()).map((e) => e.space)).toEqual(['b'])
    // The cross-space read model and one filtered by space.
    expect(await rowsOf(both)).toEqual(['a:in a', 'b:in b'])
    const inA = await both.runtime.database
      .table(both.runtime.loaded.projection('notes').tableName)
      .where('space')
      .equals('a')
      .toArray()
    expect(inA.map((r) => r.text)).toEqual(['in a'])
    expect(Object.keys(both.runtime.status.get().spaces).sort()).toEqual(['a', 'b'])
    await both.close()
    await onlyB.close()
  })

  it('decides the space of a command: named, the single joined one, never moved, joined only', async () => {
    const all = servers('a', 'b')
    const one = client(domain, all, ['a'])
    const r = await one.execute('note.write', { id: 'n1', input: { text: 'default is the one joined' } })
    expect(r.events).toHaveLength(1)
    expect((await one.runtime.database.table('events').toArray())[0]?.space).toBe('a')
    const notJoined = await one.execute('note.write', { id: 'n2', space: 'b', input: { text: 'x' } }).catch((e) => e)
    expect(notJoined).toMatchObject({ name: 'ValidationError' })
    await one.joinSpace('b')
    const ambiguous = await one.execute('note.write', { id: 'n3', input: { text: 'which?' } }).catch((e) => e)
    expect(ambiguous).toMatchObject({ name: 'ValidationError' })
    // An existing stream keeps its space: naming another is refused, naming none uses its own.
    const moved = await one.execute('note.write', { id: 'n1', space: 'b', input: { text: 'move' } }).catch((e) => e)
    expect(moved).toMatchObject({ name: 'ValidationError' })
    await one.execute('note.write', { id: 'n1', input: { text: 'stays in a' } })
    const spaces = (await one.runtime.database.table('events').toArray()).map((e) => `${e.stream}@${e.space}`)
    expect(spaces).toEqual(['note:n1@a', 'note:n1@a'])
    const invalid = await one
      .execute('note.write', { id: 'n4', space: 'no spaces!', input: { text: 'x' } })
      .catch((e) => e)
    expect(invalid).toMatchObject({ name: 'ValidationError' })
    await one.close()
  })

  it('derives the space of a new stream with the domain’s spaceOf', async () => {
    const derived = defineDomain({
      aggregates: { note },
      projections: { notes: notesProjection() },
      spaceOf: ({ id }) => (id.startsWith('b-') ? 'b' : 'a'),
    })
    const all = servers('a', 'b')
    const c = client(derived, all, ['a', 'b'])
    await c.execute('note.write', { id: 'b-1', input: { text: 'to b' } })
    await c.execute('note.write', { id: 'a-1', input: { text: 'to a' } })
    await c.syncNow()
    expect(all.get('b')?.log.map((e) => e.stream)).toEqual(['note:b-1'])
    expect(all.get('a')?.log.map((e) => e.stream)).toEqual(['note:a-1'])
    await c.close()
  })

  it('leaving: refused with unsynced work (nothing removed), then removes the space; read models equal a rebuild', async () => {
    const all = servers('a', 'b')
    const c = client(domain, all, ['a', 'b'])
    await c.execute('note.write', { id: 'n1', space: 'a', input: { text: 'a1' } })
    await c.execute('note.write', { id: 'n2', space: 'b', input: { text: 'b1' } })
    const refused = await c.leaveSpace('a').catch((e) => e)
    expect(refused).toMatchObject({ name: 'SyncError', code: 'UNSYNCED_WORK', details: { space: 'a', pending: 1 } })
    expect(c.runtime.status.get().spaces.a?.pending).toBe(1)
    expect(await rowsOf(c)).toEqual(['a:a1', 'b:b1'])
    await c.syncNow()
    await c.execute('note.write', { id: 'n3', space: 'b', input: { text: 'b2 pending' } })
    const left = await c.leaveSpace('a')
    expect(left).toEqual({ space: 'a', events: 1, discarded: 0, rebuilt: ['totals'] })
    expect(await rowsOf(c)).toEqual(['b:b1', 'b:b2 pending'])
    expect(await c.query('totals.n')).toBe(2)
    expect((await c.runtime.database.table('events').toArray()).every((e) => e.space === 'b')).toBe(true)
    expect(Object.keys(c.runtime.status.get().spaces)).toEqual(['b'])
    // The pending command of b still syncs, and its undo still rolls back right (a rebase after the leave).
    const other = client(domain, all, ['b'])
    await other.execute('note.write', { id: 'n9', space: 'b', input: { text: 'b from other' } })
    await other.syncNow()
    await c.syncNow()
    expect(await rowsOf(c)).toEqual(['b:b from other', 'b:b1', 'b:b2 pending'])
    expect(await c.query('totals.n')).toBe(3)
    // Read models equal a fresh database fed the same spaces.
    const fresh = client(domain, all, ['b'])
    await fresh.syncNow()
    expect(await rowsOf(fresh)).toEqual(await rowsOf(c))
    expect(await fresh.query('totals.n')).toBe(3)
    // Rejoining pulls the space again.
    await c.joinSpace('a')
    await c.syncNow()
    expect(await rowsOf(c)).toEqual(['a:a1', 'b:b from other', 'b:b1', 'b:b2 pending'])
    expect(await c.query('totals.n')).toBe(4)
    for (const x of [c, other, fresh]) await x.close()
  })

  it('leaving with discardPending drops the unsynced commands of that space only', async () => {
    const all = servers('a', 'b')
    const c = client(domain, all, ['a', 'b'])
    await c.execute('note.write', { id: 'n1', space: 'a', input: { text: 'a lost' } })
    await c.execute('note.write', { id: 'n2', space: 'b', input: { text: 'b kept' } })
    expect(await c.leaveSpace('a', { discardPending: true })).toMatchObject({ discarded: 1, events: 1 })
    await c.syncNow()
    expect(all.get('a')?.head).toBe(0)
    expect(all.get('b')?.log.map((e) => e.data)).toEqual([{ text: 'b kept' }])
    expect(c.runtime.status.get().pending).toBe(0)
    const missing = await c.leaveSpace('a').catch((e) => e)
    expect(missing).toMatchObject({ code: 'NOT_JOINED' })
    await c.close()
  })

  it('a failure in one space never stops the others, and is reported for that space', async () => {
    const all = servers('a', 'b')
    const writer = client(domain, all, ['a', 'b'])
    await writer.execute('note.write', { id: 'n1', space: 'a', input: { text: 'a1' } })
    await writer.execute('note.write', { id: 'n2', space: 'b', input: { text: 'b1' } })
    await writer.syncNow()
    const forbidden: SyncTransport = {
      push: async () => {
        throw new SyncHttpError(403, { code: 'FORBIDDEN', message: 'no access to a' })
      },
      pull: async () => {
        throw new SyncHttpError(403, { code: 'FORBIDDEN', message: 'no access to a' })
      },
    }
    const c = client(domain, all, ['a', 'b'], {
      transportOf: (space) => (space === 'a' ? forbidden : all.get(space)?.transport()),
    })
    await c.execute('note.write', { id: 'n3', space: 'b', input: { text: 'b2' } })
    const error = await c.syncNow().catch((e) => e)
    expect(error).toMatchObject({ code: 'FORBIDDEN' })
    expect(all.get('b')?.log.map((e) => e.data)).toEqual([{ text: 'b1' }, { text: 'b2' }])
    expect(await rowsOf(c)).toEqual(['b:b1', 'b:b2'])
    const status = c.runtime.status.get()
    expect(status.spaces.a?.lastError?.code).toBe('FORBIDDEN')
    expect(status.spaces.b?.lastError).toBeNull()
    expect(status.spaces.b?.cursor).toBe(2)
    expect(status.pending).toBe(0)
    await c.close()
    await writer.close()
  })

  it('a server reset in one space stops that space only; the other keeps syncing', async () => {
    const all = servers('a', 'b')
    const c = client(domain, all, ['a', 'b'])
    await c.execute('note.write', { id: 'n1', space: 'a', input: { text: 'a1' } })
    await c.syncNow()
    const a = all.get('a') as MemorySyncServer
    a.backendId = 'a-after-reset'
    await c.execute('note.write', { id: 'n2', space: 'b', input: { text: 'b1' } })
    const error = await c.syncNow().catch((e) => e)
    expect(error).toMatchObject({ code: 'SERVER_RESET' })
    expect(c.runtime.status.get().spaces.a?.stopped).toBe(true)
    expect(all.get('b')?.head).toBe(1)
    await c.execute('note.write', { id: 'n3', space: 'b', input: { text: 'b2' } })
    await c.syncNow().catch(() => {})
    expect(all.get('b')?.head).toBe(2)
    await c.close()
  })

  it('a multi-space answer cut by its byte budget (later spaces empty) still pulls every space in one round', async () => {
    const all = servers('a', 'b')
    const writer = client(domain, all, ['a', 'b'])
    for (let i = 0; i < 5; i++) {
      await writer.execute('note.write', { id: `a${i}`, space: 'a', input: { text: `a${i}` } })
      await writer.execute('note.write', { id: `b${i}`, space: 'b', input: { text: `b${i}` } })
    }
    await writer.syncNow()
    // Like the server's byte budget: one event in all per answer, the first space behind gets it.
    const base = spacesTransport((space) => all.get(space)?.transport())
    let requests = 0
    const stingy = {
      ...base,
      pull: async (from: readonly { space: string; after: number }[], limit: number) => {
        requests += 1
        const pages = await base.pull(from, limit)
        let budget = 1
        return pages.map((p) => {
          if (!('page' in p)) return p
          const events = p.page.events.slice(0, budget)
          budget -= events.length
          return { space: p.space, page: { ...p.page, events } }
        })
      },
    }
    const reader = createLocalClient(domain, {
      name: freshName('spaces-stingy'),
      sync: { spaces: ['a', 'b'], spacesTransport: stingy, autoStart: false },
    })
    await reader.syncNow()
    expect(await rowsOf(reader)).toEqual(await rowsOf(writer))
    expect(requests).toBe(10) // ten events, one per answer
    for (const x of [reader, writer]) await x.close()
  })

  it('joined spaces are kept across reloads and shared by tabs, with their tokens', async () => {
    const all = servers('a', 'b')
    const name = freshName('spaces-persist')
    const first = client(domain, all, ['a'], { name })
    await first.joinSpace('b', { token: 'secret-b' })
    const second = client(domain, all, [], { name })
    await expect.poll(async () => Object.keys(second.runtime.status.get().spaces).sort()).toEqual(['a', 'b'])
    const row = await second.runtime.database.table('spaces').get('b')
    expect(row).toMatchObject({ space: 'b', token: 'secret-b', cursor: 0 })
    const invalid = await second.joinSpace('bad space').catch((e) => e)
    expect(invalid).toMatchObject({ code: 'INVALID_SPACE' })
    await first.close()
    await second.close()
  })
})
