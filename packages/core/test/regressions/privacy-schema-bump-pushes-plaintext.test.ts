/**
 * Review (issue 16): a personal event written offline by app version 1 (its type at schema version 1, declared
 * personal) is still pending when the app updates to version 2 (the type bumped to schema version 2 with an
 * upcaster, still personal, same fields). `personalOf` (personal-fields.ts) takes the declaration only for events
 * at the type's *current* schema version, so the pending v1 event is pushed with its personal fields in clear:
 * the server stores the plaintext that was declared personal when it was written, and a forget can never erase
 * it there. Offline work meeting an app update is the normal case for an offline-first app.
 */
import { expect, it } from 'vitest'
import {
  createLocalClient,
  defineAggregate,
  defineDomain,
  defineEvents,
  defineProjection,
  event,
  table,
} from '../../src'
import { MemorySyncServer } from '../../src/testing'
import { freshName } from '../helpers'

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

it('a pending personal event written before a schema bump is still sealed when it is pushed after it', async () => {
  const server = new MemorySyncServer()
  const name = freshName('privacy-bump')
  const sync = { space: 'team', transport: server.transport(), autoStart: false }
  const v1 = createLocalClient(domainAt(1), { name, sync })
  await v1.execute('member.join', { id: 'alice', input: { email: 'alice@example.com', name: 'Alice Liddell' } })
  await v1.close() // offline all along: nothing pushed

  const v2 = createLocalClient(domainAt(2), { name, sync }) // the app updated
  await v2.syncNow()
  expect(server.log.map((e) => e.type)).toEqual(['MemberJoined'])
  const stored = JSON.stringify(server.log)
  expect(stored).not.toContain('alice@example.com')
  expect(stored).not.toContain('Alice Liddell')
  await v2.close()
})
