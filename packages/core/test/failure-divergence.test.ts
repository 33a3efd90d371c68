/**
 * Issue 11, cases 5–9: silent divergence. Read models must equal a rebuild from the log, reactors must fire once
 * per logical command, and sync state belongs to one space.
 */
import { Dexie } from 'dexie'
import { describe, expect, it, vi } from 'vitest'
import { createLocalClient } from '../src/client/local-client'
import { MemorySyncServer } from '../src/testing/memory-sync-server'
import { countingReactor, failureDomain, profilesNew, profilesOld } from './fixtures/failure-domain'
import { confirmedIds, localLog, syncClient } from './fixtures/failure-helpers'
import { freshName } from './helpers'

describe('issue 11 — silent divergence', () => {
  it('case 5: commands run while sync was off are rolled back correctly once sync is on (read model equals a rebuild)', async () => {
    const server = new MemorySyncServer()
    const domain = failureDomain()
    const name = freshName('case5')
    const offline = createLocalClient(domain, { name }) // no sync configured
    await offline.execute('counter.inc', { id: 'x', input: {} })
    expect(await offline.query('counts.byId', 'x')).toMatchObject({ n: 1 })
    await offline.close()

    const other = syncClient(domain, server)
    await other.execute('counter.inc', { id: 'x', input: {} })
    await other.syncNow()
    const a = syncClient(domain, server, { name }) // the same database, now syncing
    await a.syncNow() // conflict on counter:x: roll back the pending inc, apply theirs, re-run ours
    await other.syncNow()
    expect(server.log).toHaveLength(2)
    expect(await confirmedIds(a)).toEqual(server.log.map((e) => e.id))
    expect(await a.query('counts.byId', 'x')).toEqual({ id: 'x', n: 2, applied: 2, space: 'default' })
    expect(await other.query('counts.byId', 'x')).toEqual({ id: 'x', n: 2, applied: 2, space: 'default' })
    // A rebuild from the log gives the same rows.
    const aName = a.runtime.database.name
    await a.close()
    const rebuilt = createLocalClient(failureDomain({ counts: { version: 2 } }), { name: aName })
    expect(await rebuilt.query('counts.byId', 'x')).toEqual({ id: 'x', n: 2, applied: 2, space: 'default' })
    await rebuilt.close()
    await other.close()
  })

  it('case 6: a rebase that re-runs a pending command keeps its event ids; the reactor fires once per command', async () => {
    const server = new MemorySyncServer()
    const { reactor, calls } = countingReactor()
    const a = syncClient(failureDomain({ reactors: { counting: reactor } }), server)
    const b = syncClient(failureDomain(), server)
    const mine = await a.execute('counter.inc', { id: 'x', input: {} })
    await vi.waitFor(() => expect(calls).toHaveLength(1))
    await b.execute('counter.inc', { id: 'x', input: { by: 5 } })
    await b.syncNow()
    await a.syncNow() // A's inc is re-run on top of B's
    expect(server.log).toHaveLength(2)
    // The re-run reused the event id: the server holds A's command under its original event id.
    expect(server.log[1]?.id).toBe(mine.events[0]?.id)
    expect(server.log[1]?.version).toBe(2)
    expect(await confirmedIds(a)).toEqual(server.log.map((e) => e.id))
    expect(await a.query('counts.byId', 'x')).toMatchObject({ n: 6, applied: 2 })
    // Let the reactor catch up with the re-added event, then check it was not given the command a second time.
    const last = (await localLog(a)).at(-1)?.lpos ?? 0
    await vi.waitFor(() => expect(a.runtime.status.get().reactors.counting?.position).toBeGreaterThanOrEqual(last))
    expect(calls).toEqual([{ eventId: mine.events[0]?.id, commandId: mine.commandId }])
    expect(a.runtime.status.get().reactors.counting?.state).toBe('running')
    await a.close()
    await b.close()
  })

  it('case 7: two tabs rebuilding the same upgraded inline projection apply every event once', async () => {
    const name = freshName('case7')
    const v1 = createLocalClient(failureDomain(), { name })
    for (let i = 0; i < 3; i++) await v1.execute('counter.inc', { id: 'x', input: {} })
    await v1.close()
    // Two tabs open the upgraded app (counts v2: rebuilt) on one database. Pin the interleaving: each tab is
    // held right after it read where the rebuild stands (its first count of the remaining events).
    const held = holdFirstEventCount(name, 2)
    try {
      const upgraded = failureDomain({ counts: { version: 2 } })
      const tab1 = createLocalClient(upgraded, { name })
      await held.reached(0, tab1.runtime.ready)
      const tab2 = createLocalClient(upgraded, { name }) // reads the checkpoint tab 1 left: rebuilding
      await held.reached(1, tab2.runtime.ready)
      held.release(0) // tab 1 finishes the rebuild, opens, and runs a command (applied inline)
      await tab1.runtime.ready
      const r = await tab1.execute('counter.inc', { id: 'x', input: {} })
      held.release(1) // tab 2 resumes its rebuild: the projection is already current
      await tab2.runtime.ready
      await tab2.whenProcessed(r.events[0]?.position ?? 0)
      expect(await tab2.query('counts.byId', 'x')).toEqual({ id: 'x', n: 4, applied: 4, space: 'default' })
      expect(await tab1.query('counts.byId', 'x')).toEqual({ id: 'x', n: 4, applied: 4, space: 'default' })
      await tab1.close()
      await tab2.close()
    } finally {
      held.dispose()
    }
  })

  it('case 8: an event of a newer schema version is never given to old handlers; the app upgrade repairs the read model', async () => {
    const server = new MemorySyncServer()
    const name = freshName('case8')
    const old = syncClient(profilesOld, server, { name })
    const newer = syncClient(profilesNew, server)
    await newer.execute('user.register', { id: 'u1', input: { handle: 'ann' } })
    await newer.syncNow()
    await old.syncNow()
    expect(await old.query('profiles.byId', 'u1')).toEqual({ id: 'u1', handle: 'ann', name: 'ann', space: 'default' })
    await newer.execute('user.rename', { id: 'u1', input: { first: 'Ann', last: 'Lee' } }) // Renamed v2
    await newer.syncNow()
    await old.syncNow()
    // Kept, synced and reported — but not applied by handlers that cannot read it.
    expect(await confirmedIds(old)).toEqual(server.log.map((e) => e.id))
    expect(old.runtime.status.get().unknownEventTypes).toEqual(['user.Renamed'])
    expect(await old.query('profiles.byId', 'u1')).toEqual({ id: 'u1', handle: 'ann', name: 'ann', space: 'default' })
    await old.close()
    // The app is updated: the projection version did not change, yet its rows now equal a rebuild.
    const upgraded = syncClient(profilesNew, server, { name })
    await upgraded.runtime.ready
    expect(await upgraded.query('profiles.byId', 'u1')).toEqual({
      id: 'u1',
      handle: 'ann',
      name: 'Ann Lee',
      space: 'default',
    })
    expect(upgraded.runtime.status.get().unknownEventTypes).toEqual([])
    expect(await newer.query('profiles.byId', 'u1')).toEqual({
      id: 'u1',
      handle: 'ann',
      name: 'Ann Lee',
      space: 'default',
    })
    await upgraded.close()
    await newer.close()
  })

  it('case 9: a database that synced one space and is opened with another joins that one too: the spaces never mix', async () => {
    const team1 = new MemorySyncServer()
    const team2 = new MemorySyncServer()
    const domain = failureDomain()
    const name = freshName('case9')
    const a = syncClient(domain, team1, { name, sync: { space: 'team-1' } })
    await a.execute('note.write', { id: 'mine', input: { text: 'mine' } })
    await a.syncNow()
    expect(team1.head).toBe(1)
    await a.execute('note.write', { id: 'later', input: { text: 'later, offline' } }) // pending
    await a.close()

    const b = syncClient(domain, team2, { sync: { space: 'team-2' } })
    for (const text of ['one', 'two', 'three']) await b.execute('note.write', { id: text, input: { text } })
    await b.syncNow()
    expect(team2.head).toBe(3)

    // This client can only reach team-2: team-1 stays joined (its pending work kept) and reports why it cannot sync.
    const reopened = syncClient(domain, team2, { name, sync: { space: 'team-2' } })
    const error = await reopened.syncNow().catch((e) => e)
    expect(error.code).toBe('NO_TRANSPORT')
    const status = reopened.runtime.status.get()
    expect(Object.keys(status.spaces).sort()).toEqual(['team-1', 'team-2'])
    expect(status.spaces['team-1']?.lastError?.code).toBe('NO_TRANSPORT')
    expect(status.spaces['team-1']?.pending).toBe(1)
    expect(status.spaces['team-2']?.lastError).toBeNull()
    // Nothing of team-1 pushed to team-2; team-2 pulled; every event keeps its space.
    expect(team2.head).toBe(3)
    const log = await localLog(reopened)
    expect(log.map((e) => `${(e as { space?: string }).space}:${(e.data as { text: string }).text}`).sort()).toEqual([
      'team-1:later, offline',
      'team-1:mine',
      'team-2:one',
      'team-2:three',
      'team-2:two',
    ])
    expect(await reopened.query('notes.texts')).toEqual(['later, offline', 'mine', 'one', 'three', 'two'])
    await reopened.close()
    await b.close()
  })
})

/**
 * Holds, in each of the next `count` Dexie connections to database `name`, the result of the connection's first
 * `count()` on the events table until released: a rebuild counts the events it has left right after it read
 * its checkpoint, so this pins two tabs' rebuilds in a chosen interleaving without timing.
 */
function holdFirstEventCount(name: string, count: number) {
  const gates = Array.from({ length: count }, () => {
    let reach = () => {}
    let release = () => {}
    const reached = new Promise<void>((r) => {
      reach = r
    })
    const released = new Promise<void>((r) => {
      release = r
    })
    return { reach, reached, release, released }
  })
  let next = 0
  const addon = (db: Dexie) => {
    if (db.name !== name || next >= gates.length) return
    const gate = gates[next++]
    if (!gate) return
    let held = false
    db.use({
      stack: 'dbcore',
      name: 'hold-first-event-count',
      create: (down) => ({
        ...down,
        table: (tableName) => {
          const table = down.table(tableName)
          if (tableName !== 'events') return table
          return {
            ...table,
            count: async (request) => {
              const n = await table.count(request)
              if (!held) {
                held = true
                gate.reach()
                await gate.released
              }
              return n
            },
          }
        },
      }),
    })
  }
  Dexie.addons.push(addon)
  return {
    /** Resolves once connection `i` is held; fails when its runtime got ready without being held. */
    reached: async (i: number, ready: Promise<void>) => {
      const outcome = await Promise.race([
        gates[i]?.reached.then(() => 'held'),
        ready.then(
          () => 'ready',
          () => 'failed',
        ),
      ])
      if (outcome !== 'held') {
        throw new Error(
          `tab ${i + 1} was never held (${outcome}): the rebuild no longer counts events first; adapt holdFirstEventCount`,
        )
      }
    },
    release: (i: number) => gates[i]?.release(),
    dispose: () => {
      for (const g of gates) g.release()
      const at = Dexie.addons.indexOf(addon)
      if (at >= 0) Dexie.addons.splice(at, 1)
    },
  }
}
