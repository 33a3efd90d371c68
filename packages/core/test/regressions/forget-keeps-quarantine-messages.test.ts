/**
 * Issue (forget gaps, 3): the `quarantine` table records events a projection could not apply, with the error's
 * message, which may quote the event's data (`invalid email alice@...`). `forgetLocally` rebuilds the read models
 * fed by the subject's streams, which clears and redoes their quarantine from the redacted events; a quarantine
 * row of a projection it does not rebuild (one the app no longer has) kept the subject's value.
 * Expected: no table of the database holds a personal value of the forgotten subject.
 */
import { expect, it } from 'vitest'
import {
  createLocalClient,
  defineAggregate,
  defineDomain,
  defineEvents,
  defineProjection,
  event,
  isRedacted,
  REDACTED,
  table,
} from '../../src'
import { MemorySyncServer } from '../../src/testing'
import { dumpDatabase, freshName } from '../helpers'

const member = defineAggregate({
  name: 'member',
  events: defineEvents({
    Joined: event<{ userId: string; email: string }>({ personal: { subject: (d) => d.userId, fields: ['email'] } }),
  }),
  initialState: () => ({ joined: false }),
  evolve: { Joined: () => ({ joined: true }) },
  commands: {
    join: (s, input: { email: string }, ctx) =>
      s.joined ? ctx.reject('AlreadyJoined') : ctx.event('Joined', { userId: ctx.id, ...input }),
  },
})

/** A read model whose handler refuses some addresses, quoting them. */
const mailing = (name: string, mode: 'inline' | 'async') =>
  defineProjection({
    name,
    version: 1,
    mode,
    from: [member],
    table: table<{ id: string; email: string }>({ key: 'id' }),
    on: {
      Joined: (tx, e) => {
        if (!isRedacted(e.data.email) && e.data.email.includes('+')) throw new Error(`invalid email ${e.data.email}`)
        return tx.put({ id: e.streamId, email: e.data.email })
      },
    },
    queries: { all: (t) => t.toArray() },
  })

const ALICE = 'alice+news@example.com'
const BOB = 'bob+news@example.com'

const projections = {
  with: { mails: mailing('mails', 'inline'), later: mailing('later', 'async'), old: mailing('old', 'inline') },
  without: { mails: mailing('mails', 'inline'), later: mailing('later', 'async') },
  none: {},
}
const open = (server: MemorySyncServer, name: string, which: keyof typeof projections) =>
  createLocalClient(defineDomain({ aggregates: { member }, projections: projections[which] }), {
    name,
    sync: { space: 'team', transport: server.transport(), autoStart: false },
  })

it("quarantine messages keep no personal value of a forgotten subject, the app's projections or not", async () => {
  const server = new MemorySyncServer()
  const name = freshName('forget-quarantine')
  const writer = open(server, freshName('forget-quarantine-writer'), 'none')
  await writer.execute('member.join', { id: 'alice', input: { email: ALICE } })
  await writer.execute('member.join', { id: 'bob', input: { email: BOB } })
  await writer.syncNow()
  // The reader's projections cannot apply the pulled events: quarantined, the rest of the log moves on.
  const before = open(server, name, 'with')
  await before.syncNow()
  const quarantine = before.runtime.database.table('quarantine')
  await expect.poll(() => quarantine.count()).toBe(6)
  await before.close()
  // The app dropped the `old` projection: its quarantine rows stay (what the app does with them is its own).
  const after = open(server, name, 'without')
  await after.forgetSubject('alice')
  await after.syncNow()
  const stored = await dumpDatabase(name)
  expect(stored).not.toContain(ALICE)
  const rows = await after.runtime.database.table('quarantine').toArray()
  expect(rows.map((q) => [q.projection, q.message.replace(/.* threw: /, '')]).sort()).toEqual([
    ['later', `invalid email ${BOB}`],
    ['mails', `invalid email ${BOB}`],
    ['old', `invalid email ${BOB}`],
    ['old', `invalid email ${REDACTED}`],
  ])
  for (const d of [writer, after]) await d.close()
})
