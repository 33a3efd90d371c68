/**
 * Review (issue 16): personal events written and synced (sealed) at schema version 1; the app then bumps the type
 * to schema version 2 (upcaster, still personal, same fields). After a forget, a device that holds the v1 events
 * keeps their plaintext (events table, read models rebuilt from them), because `personalOf` (personal-fields.ts)
 * ignores the declaration for events not at the current schema version; a device that pulls them after the forget
 * shows REDACTED (the fields were sealed, the key is gone). The devices' read models diverge for good, and the
 * erasure silently misses data that was sealed as personal. Any schema change of a personal event type does this
 * to all its history.
 */
import { expect, it } from 'vitest'
import {
  createLocalClient,
  defineAggregate,
  defineDomain,
  defineEvents,
  defineProjection,
  event,
  REDACTED,
  table,
} from '../../src'
import { MemorySyncServer } from '../../src/testing'
import { dumpDatabase, freshName } from '../helpers'

type V1 = { userId: string; email: string; name: string }
type V2 = V1 & { locale: string }

function domainAt(version: 1 | 2) {
  const events = defineEvents({
    MemberJoined:
      version === 1
        ? event<V2>({ personal: { subject: (d) => d.userId, fields: ['email', 'name'] } })
        : event<V2>({
            version: 2,
            upcast: { 1: (d) => ({ ...(d as V1), locale: 'en' }) },
            personal: { subject: (d) => d.userId, fields: ['email', 'name'] },
          }),
  })
  const member = defineAggregate({
    name: 'member',
    events,
    initialState: () => ({ joined: false }),
    evolve: { MemberJoined: () => ({ joined: true }) },
    commands: {
      join: (_s, input: { email: string; name: string }, ctx) =>
        ctx.event('MemberJoined', { userId: ctx.id, ...input, ...(version === 2 ? { locale: 'en' } : {}) } as V2),
    },
  })
  const members = defineProjection({
    name: 'members',
    version: 1,
    from: [member],
    table: table<{ id: string; email: string }>({ key: 'id' }),
    on: { MemberJoined: (tx, e) => tx.put({ id: e.streamId, email: e.data.email }) },
    queries: { all: (t) => t.toArray() },
  })
  return defineDomain({ aggregates: { member }, projections: { members } })
}

it('after a schema bump, a forget erases the sealed personal fields of older events too; devices converge', async () => {
  const server = new MemorySyncServer()
  const name = freshName('privacy-bump-erase')
  const sync = { space: 'team', transport: server.transport(), autoStart: false }
  const v1 = createLocalClient(domainAt(1), { name, sync })
  await v1.execute('member.join', { id: 'alice', input: { email: 'alice@example.com', name: 'Alice Liddell' } })
  await v1.syncNow()
  expect(JSON.stringify(server.log)).not.toContain('alice@example.com') // sealed at v1
  await v1.close()

  const v2 = createLocalClient(domainAt(2), { name, sync }) // the app updated
  await v2.forgetSubject('alice')
  await v2.syncNow()
  const late = createLocalClient(domainAt(2), { name: freshName('privacy-bump-late'), sync })
  await late.syncNow()

  expect(await late.query('members.all')).toMatchObject([{ id: 'alice', email: REDACTED }])
  expect(await v2.query('members.all')).toMatchObject([{ id: 'alice', email: REDACTED }])
  expect(await dumpDatabase(name)).not.toContain('alice@example.com')
  await v2.close()
  await late.close()
})
