/**
 * A database written before many spaces (one space per database, its cursor in `meta`, events without a space)
 * opens with this version: every event and command gets the space the database synced, that space is joined
 * with its cursor and server identity, pending work still reaches the server, and nothing is pulled twice.
 */
import { Dexie } from 'dexie'
import { describe, expect, it } from 'vitest'
import { createLocalClient } from '../src/client/local-client'
import { MemorySyncServer } from '../src/testing/memory-sync-server'
import { failureDomain } from './fixtures/failure-domain'
import { freshName } from './helpers'

/** The system tables as the previous release declared them. */
const PREVIOUS_SCHEMA = {
  events: '++lpos, &id, &[stream+version], gpos',
  commands: 'id, status',
  undo: '[lpos+n], lpos',
  checkpoints: 'projection',
  snapshots: 'stream',
  meta: 'key',
  reactions: '[reactor+event]',
  processes: 'key',
  quarantine: '[projection+eventId], projection',
}

const meta = { clientId: 'old-client', issuedAt: 1, schemaVersion: 1 }

describe('a database from before many spaces', () => {
  it('is migrated on open: its space is joined with its cursor, pending work is pushed, read models rebuilt', async () => {
    const server = new MemorySyncServer()
    // The server already holds the confirmed event; the old database holds it and one pending event.
    server.push({
      clientId: 'old-client',
      events: [
        {
          id: 'e1',
          stream: 'note:n1',
          version: 1,
          type: 'Written',
          data: { text: 'synced' },
          meta: { ...meta, commandId: 'c1' },
        },
      ],
    })
    const name = freshName('legacy')
    const old = new Dexie(name)
    old.version(10).stores(PREVIOUS_SCHEMA)
    await old.open()
    await old.table('events').bulkAdd([
      {
        id: 'e1',
        stream: 'note:n1',
        version: 1,
        type: 'Written',
        data: { text: 'synced' },
        meta: { ...meta, commandId: 'c1' },
        gpos: 1,
      },
      {
        id: 'e2',
        stream: 'note:n2',
        version: 1,
        type: 'Written',
        data: { text: 'pending' },
        meta: { ...meta, commandId: 'c2' },
      },
    ])
    const command = { path: 'note.write', input: {}, baseVersion: 0, issuedAt: 1 }
    await old.table('commands').bulkAdd([
      {
        ...command,
        id: 'c1',
        stream: 'note:n1',
        eventIds: ['e1'],
        status: 'confirmed',
        result: { version: 1, events: [] },
      },
      {
        ...command,
        id: 'c2',
        stream: 'note:n2',
        eventIds: ['e2'],
        status: 'pending',
        result: { version: 1, events: [] },
      },
    ])
    await old.table('meta').bulkPut([
      { key: 'clientId', value: 'old-client' },
      { key: 'space', value: 'team' },
      { key: 'cursor', value: 1 },
      { key: 'backendId', value: server.backendId },
      { key: 'undoRecorded', value: true },
    ])
    old.close()

    const pulls: number[] = []
    const inner = server.transport()
    const c = createLocalClient(failureDomain(), {
      name,
      sync: {
        space: 'team',
        transport: {
          ...inner,
          pull: (after, limit) => {
            pulls.push(after)
            return inner.pull(after, limit)
          },
        },
        autoStart: false,
      },
    })
    expect(await c.query('notes.texts')).toEqual(['pending', 'synced'])
    const events = await c.runtime.database.table('events').orderBy('lpos').toArray()
    expect(events.map((e) => `${e.id}@${e.space}`)).toEqual(['e1@team', 'e2@team'])
    const commands = await c.runtime.database.table('commands').toArray()
    expect(commands.map((x) => x.space)).toEqual(['team', 'team'])
    expect(await c.runtime.database.table('spaces').toArray()).toMatchObject([
      { space: 'team', cursor: 1, backendId: server.backendId },
    ])
    expect(await c.runtime.database.table('meta').get('cursor')).toBeUndefined()
    await c.syncNow()
    expect(pulls[0]).toBe(1) // from the migrated cursor, not from the start
    expect(server.log.map((e) => e.id)).toEqual(['e1', 'e2'])
    expect(c.runtime.status.get().pending).toBe(0)
    expect(c.runtime.status.get().spaces.team?.cursor).toBe(2)
    await c.close()
  })
})
