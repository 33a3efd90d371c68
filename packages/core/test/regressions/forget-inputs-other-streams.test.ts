/**
 * Issue (forget gaps, 1): `forgetLocally` redacted the inputs of the commands on the subject's event streams only
 * (see forget-keeps-inputs-without-events.test.ts for those). A command on a stream with none of the subject's
 * events kept the subject's values in its input:
 * - rejected as it ran (journaled: it has a command id), so it created nothing, with an input naming the subject
 *   (`userId`) and a value of theirs no event holds, repeated in its rejection's message and details;
 * - a no-op (journaled, with an id) on another stream whose input carries one of the subject's erased values, nested;
 * - the same, still pending (decided on another subject's pending event): it keeps its input's shape, only the
 *   erased value becomes REDACTED (a rebase may decide it again; the other subject's data stays as it is).
 * Expected: no table of the database holds a personal value of the forgotten subject.
 */
import { expect, it } from 'vitest'
import {
  createLocalClient,
  defineAggregate,
  defineDomain,
  defineEvents,
  event,
  REDACTED,
  type SyncTransport,
} from '../../src'
import { MemorySyncServer } from '../../src/testing'
import { dumpDatabase, freshName } from '../helpers'

const team = defineAggregate({
  name: 'team',
  events: defineEvents({
    Invited: event<{ userId: string; email: string }>({
      personal: { subject: (d) => d.userId, fields: ['email'] },
    }),
  }),
  initialState: () => ({ invited: [] as string[] }),
  evolve: { Invited: (s, e) => ({ invited: [...s.invited, e.data.userId] }) },
  commands: {
    /** A team holds one member. The rejection repeats the input (apps do). */
    invite: (s, input: { userId: string; email: string }, ctx) =>
      s.invited.length > 0
        ? ctx.reject('TeamFull', `no room for ${input.email}`, { email: input.email })
        : ctx.event('Invited', input),
    /** Appends nothing: its input is the app's own shape. */
    note: (_s, _input: { text: string; about: { contact: string } }) => undefined,
  },
})
const domain = defineDomain({ aggregates: { team } })

const ALICE = 'alice@example.com'
/** A value of Alice's that only a rejected command's input holds. */
const ALICE_OTHER = 'alice-other@example.com'
const BOB = 'bob@example.com'

const device = (server: MemorySyncServer, name: string, pushes = true) => {
  const transport = server.transport()
  const offline: SyncTransport = { ...transport, push: () => Promise.reject(new Error('offline')) }
  return createLocalClient(domain, {
    name,
    sync: { space: 'team', transport: pushes ? transport : offline, autoStart: false },
  })
}

it('a rejected command and a no-op on streams without the subject events keep none of their values', async () => {
  const server = new MemorySyncServer()
  const name = freshName('forget-other-streams')
  const a = device(server, name)
  await a.execute('team.invite', { id: 't1', input: { userId: 'alice', email: ALICE } })
  await a.execute('team.invite', { id: 't2', input: { userId: 'bob', email: BOB } })
  await expect(
    a.execute('team.invite', { id: 't2', commandId: 'c-rejected', input: { userId: 'alice', email: ALICE_OTHER } }),
  ).rejects.toMatchObject({ code: 'TeamFull' })
  await a.execute('team.note', { id: 't3', commandId: 'c-noop', input: { text: 'hi', about: { contact: ALICE } } })
  await a.syncNow()
  // With an id, both are journaled (a retry of the id gets the same answer).
  const journaled = await a.runtime.database.table('commands').where('id').anyOf('c-rejected', 'c-noop').toArray()
  expect(journaled.map((c) => [c.id, c.status])).toEqual([
    ['c-noop', 'confirmed'],
    ['c-rejected', 'failed'],
  ])
  await a.forgetSubject('alice')
  await a.syncNow()
  const stored = await dumpDatabase(name)
  expect(stored).not.toContain(ALICE)
  expect(stored).not.toContain(ALICE_OTHER)
  expect(stored).toContain(BOB) // Bob is not forgotten
  await a.close()
})

it('a pending command on a stream without the subject events keeps its shape, erased values REDACTED', async () => {
  const server = new MemorySyncServer()
  const a = device(server, freshName('forget-other-streams'))
  await a.execute('team.invite', { id: 't1', input: { userId: 'alice', email: ALICE } })
  await a.syncNow()
  const name = freshName('forget-other-streams-offline')
  const b = device(server, name, false) // pulls, never pushes
  await b.syncNow()
  await b.execute('team.invite', { id: 't2', input: { userId: 'bob', email: BOB } })
  await b.execute('team.note', { id: 't2', input: { text: 'hi', about: { contact: ALICE } } }) // on Bob's pending event
  await a.forgetSubject('alice')
  await b.syncNow().catch(() => undefined) // its push fails; the pull brings the forget
  const commands = await b.runtime.database.table('commands').toArray()
  expect(commands.map((c) => [c.path, c.status, c.input])).toEqual([
    ['team.invite', 'pending', { userId: 'bob', email: BOB }],
    ['team.note', 'pending', { text: 'hi', about: { contact: REDACTED } }],
  ])
  expect(await dumpDatabase(name)).not.toContain(ALICE)
  for (const d of [a, b]) await d.close()
})
