/**
 * Review (issue 16): an optional personal field left `undefined` (`{ ...input }` with an optional key) is sealed as
 * `{"v": null}` (personal.ts `sealField`: `value ?? null`). The writer's own event then comes back from the server
 * with `null` where its copy has `undefined`: `sameEvent` (apply-pull) sees other content under our id and the
 * command the server accepted is rejected as ID_REUSED; other devices hold `null` where the writer held nothing.
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

const member = defineAggregate({
  name: 'member',
  events: defineEvents({
    MemberJoined: event<{ userId: string; email: string; nickname?: string | undefined }>({
      personal: { subject: (d) => d.userId, fields: ['email', 'nickname'] },
    }),
  }),
  initialState: () => ({}),
  evolve: { MemberJoined: (s) => s },
  commands: {
    join: (_s, input: { email: string; nickname?: string | undefined }, ctx) =>
      ctx.event('MemberJoined', { userId: ctx.id, email: input.email, nickname: input.nickname }),
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
const domain = defineDomain({ aggregates: { member }, projections: { members } })

it('an own event with an undefined optional personal field is confirmed, not rejected', async () => {
  const server = new MemorySyncServer()
  const a = createLocalClient(domain, {
    name: freshName('privacy-undef'),
    sync: { space: 'team', transport: server.transport(), autoStart: false },
  })
  await a.execute('member.join', { id: 'alice', input: { email: 'alice@example.com' } })
  await a.syncNow().catch(() => {})
  await a.syncNow().catch(() => {})
  const status = a.runtime.status.get()
  expect(status.rejected).toEqual([])
  expect(status.pending).toBe(0)
  await a.close()
})
