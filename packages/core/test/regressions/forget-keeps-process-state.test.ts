/**
 * Issue (forget gaps, 2): a process manager keeps its state in the `processes` table, per correlation key. A
 * state built from a subject's events held their personal values in clear after `forgetSubject`, and so did a
 * key correlated on one of them (`forgetLocally` erased the log, the journal and the read models only).
 * Expected: no table of the database holds a personal value of the forgotten subject; the other subjects'
 * process states are untouched.
 */
import { expect, it } from 'vitest'
import {
  createLocalClient,
  defineAggregate,
  defineDomain,
  defineEvents,
  defineProcess,
  event,
  REDACTED,
} from '../../src'
import { MemorySyncServer } from '../../src/testing'
import { dumpDatabase, freshName } from '../helpers'

const member = defineAggregate({
  name: 'member',
  events: defineEvents({
    Joined: event<{ userId: string; email: string; name: string }>({
      personal: { subject: (d) => d.userId, fields: ['email', 'name'] },
    }),
  }),
  initialState: () => ({ joined: false }),
  evolve: { Joined: () => ({ joined: true }) },
  commands: {
    join: (s, input: { email: string; name: string }, ctx) =>
      s.joined ? ctx.reject('AlreadyJoined') : ctx.event('Joined', { userId: ctx.id, ...input }),
  },
})

interface Welcome {
  to: { email: string; name: string } | null
  sent: number
}

/** Keyed by the member: its state holds their address. */
const welcome = defineProcess({
  name: 'welcome',
  from: [member],
  startAt: 'beginning',
  initialState: (): Welcome => ({ to: null, sent: 0 }),
  correlate: { 'member.Joined': (e) => e.data.userId },
  on: { 'member.Joined': (s, e) => ({ state: { to: { email: e.data.email, name: e.data.name }, sent: s.sent + 1 } }) },
})

/** Keyed by the address itself. */
const mailbox = defineProcess({
  name: 'mailbox',
  from: [member],
  startAt: 'beginning',
  initialState: () => ({ owner: '' }),
  correlate: { 'member.Joined': (e) => e.data.email },
  on: { 'member.Joined': (_s, e) => ({ state: { owner: e.data.userId } }) },
})

const domain = defineDomain({ aggregates: { member }, reactors: { welcome, mailbox } })

const ALICE = { email: 'alice@example.com', name: 'Alice Liddell' }
const BOB = { email: 'bob@example.com', name: 'Bob Builder' }

it('process states and keys keep no personal value of a forgotten subject', async () => {
  const server = new MemorySyncServer()
  const name = freshName('forget-processes')
  const a = createLocalClient(domain, {
    name,
    sync: { space: 'team', transport: server.transport(), autoStart: false },
  })
  await a.execute('member.join', { id: 'alice', input: ALICE })
  await a.execute('member.join', { id: 'bob', input: BOB })
  const processes = a.runtime.database.table('processes')
  await expect.poll(() => processes.count()).toBe(4)
  await a.syncNow()
  await a.forgetSubject('alice')
  await a.syncNow()
  const stored = await dumpDatabase(name)
  for (const secret of [ALICE.email, ALICE.name]) expect(stored).not.toContain(secret)
  expect(await processes.toArray()).toEqual([
    { key: `mailbox:${BOB.email}`, state: { owner: 'bob' } },
    { key: `mailbox:${REDACTED}`, state: { owner: 'alice' } },
    { key: 'welcome:alice', state: { to: { email: REDACTED, name: REDACTED }, sent: 1 } },
    { key: 'welcome:bob', state: { to: BOB, sent: 1 } },
  ])
  await a.close()
})
