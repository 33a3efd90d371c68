/**
 * Review (issue 16): docs/privacy.md promises that after a forget "the subject's personal fields become REDACTED
 * in the local log and in the inputs of the commands that wrote them". The inputs are only redacted under keys
 * named exactly like a personal field of the aggregate's events (forget-local.ts `redactInputs`): a command whose
 * input carries the same value under another key (`displayName` -> event field `name`) or nested (`contact.email`)
 * keeps the plaintext in the commands journal of every device that ran it, for good.
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

const person = defineAggregate({
  name: 'person',
  events: defineEvents({
    PersonRegistered: event<{ userId: string; email: string; name: string }>({
      personal: { subject: (d) => d.userId, fields: ['email', 'name'] },
    }),
  }),
  initialState: () => ({ registered: false }),
  evolve: { PersonRegistered: () => ({ registered: true }) },
  commands: {
    register: (s, input: { displayName: string; contact: { email: string } }, ctx) =>
      s.registered
        ? ctx.reject('AlreadyRegistered')
        : ctx.event('PersonRegistered', { userId: ctx.id, email: input.contact.email, name: input.displayName }),
  },
})
const people = defineProjection({
  name: 'people',
  version: 1,
  from: [person],
  table: table<{ id: string; name: string }>({ key: 'id' }),
  on: { PersonRegistered: (tx, e) => tx.put({ id: e.streamId, name: e.data.name }) },
  queries: { all: (t) => t.toArray() },
})
const domain = defineDomain({ aggregates: { person }, projections: { people } })

it("after a forget, the subject's plaintext is not left in the input of the command that wrote it", async () => {
  const server = new MemorySyncServer()
  const name = freshName('privacy-inputs')
  const a = createLocalClient(domain, {
    name,
    sync: { space: 'team', transport: server.transport(), autoStart: false },
  })
  await a.execute('person.register', {
    id: 'alice',
    input: { displayName: 'Alice Liddell', contact: { email: 'alice@example.com' } },
  })
  await a.syncNow()
  expect(JSON.stringify(server.log)).not.toContain('alice@example.com')

  await a.forgetSubject('alice')
  await a.syncNow()
  expect(await a.query('people.all')).toMatchObject([{ id: 'alice', name: REDACTED }])
  const stored = await dumpDatabase(name)
  expect(stored).not.toContain('Alice Liddell')
  expect(stored).not.toContain('alice@example.com')
  await a.close()
})
