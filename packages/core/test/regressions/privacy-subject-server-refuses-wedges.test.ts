/**
 * Review (issue 16): the worker takes any string of 1..100 UTF-16 units as a subject (personal-fields.ts
 * `subjectOf`), the server's key store refuses subjects with control characters or lone surrogates (400 for the
 * whole request, validate.ts `text`). One such subject in a space's outbox makes `wireBatch` throw on every round:
 * its command is never rejected, and every command after it in that space stays pending for good (DESIGN §4b:
 * "a permanent refusal never blocks other work").
 */
import { createMemoryStorage, createSyncServer } from '@cairn/server'
import { expect, it } from 'vitest'
import {
  createLocalClient,
  defineAggregate,
  defineDomain,
  defineEvents,
  defineProjection,
  event,
  httpTransport,
  table,
} from '../../src'
import { freshName } from '../helpers'

const signup = defineAggregate({
  name: 'signup',
  events: defineEvents({
    SignedUp: event<{ userId: string; email: string }>({
      personal: { subject: (d) => d.userId, fields: ['email'] },
    }),
  }),
  initialState: () => ({}),
  evolve: { SignedUp: (s) => s },
  commands: { submit: (_s, input: { userId: string; email: string }, ctx) => ctx.event('SignedUp', input) },
})
const signups = defineProjection({
  name: 'signups',
  version: 1,
  from: [signup],
  table: table<{ id: string; userId: string }>({ key: 'id' }),
  on: { SignedUp: (tx, e) => tx.put({ id: e.streamId, userId: e.data.userId }) },
  queries: { all: (t) => t.toArray() },
})
const domain = defineDomain({ aggregates: { signup }, projections: { signups } })

it('a subject the key store refuses rejects its command; the rest of the space is pushed', async () => {
  const server = createSyncServer({ storage: createMemoryStorage(), rateLimit: false })
  const fetch = (input: RequestInfo | URL, init?: RequestInit) => server.fetch(new Request(input, init))
  const space = 'team'
  const a = createLocalClient(domain, {
    name: freshName('privacy-wedge'),
    sync: { space, autoStart: false, transport: httpTransport({ url: 'http://cairn.test', space, fetch }) },
  })
  // A user id pasted with a tab in it: a string of 1..100 characters, so the worker takes it as a subject.
  await a.execute('signup.submit', {
    id: 's1',
    commandId: 'bad',
    input: { userId: 'alice\tsmith', email: 'alice@example.com' },
  })
  await a.execute('signup.submit', {
    id: 's2',
    commandId: 'good',
    input: { userId: 'bob', email: 'bob@example.com' },
  })
  for (let i = 0; i < 3; i++) await a.syncNow().catch(() => {})

  const status = a.runtime.status.get()
  expect(status.rejected.map((r) => r.commandId)).toEqual(['bad'])
  expect(status.pending).toBe(0)
  await a.close()
})
