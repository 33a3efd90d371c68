/**
 * Simulation (dimension `forget`, seed 20261130, run 169 of 200): after `forgetSubject`, a database still held
 * the subject's personal data in clear, in the input of a command that wrote no event of it. `forgetLocally`
 * redacts the inputs of the commands that wrote the subject's events (found by the events' `meta.commandId`);
 * a command that ended with no event keeps its input as it was given:
 * - decided again on a rebase into a no-op (another device had set the same values first: the run's case),
 * - decided into a no-op on a stream with pending events (journaled pending, then confirmed, with its input),
 * - rejected on a rebase (journaled `rejected`, `eventIds: []`, with its input).
 * Expected: no table of the database holds a personal value of a forgotten subject.
 */
import { expect, it } from 'vitest'
import { createLocalClient } from '../../src/client/local-client'
import { MemorySyncServer } from '../../src/testing/memory-sync-server'
import { PROFILE_CHANGES, simDomain } from '../fixtures/sim-domain'
import { dumpDatabase, freshName } from '../helpers'

const device = (server: MemorySyncServer) =>
  createLocalClient(simDomain(), {
    name: freshName('forget-inputs'),
    sync: { transport: server.transport(), autoStart: false },
  })

const SECRET = { email: 'secret-mail@example.test', name: 'Secret Name' }

it('a command rebased into a no-op keeps no personal value of a forgotten subject', async () => {
  const server = new MemorySyncServer()
  const [a, b] = [device(server), device(server)]
  await a.execute('user.profile', { id: 'u1', input: SECRET })
  await b.execute('user.profile', { id: 'u1', input: SECRET }) // offline: the same values
  await a.syncNow()
  await b.syncNow() // rebased on a's event: nothing changes any more, it appends nothing
  await a.forgetSubject('u1')
  await b.syncNow()
  const stored = await dumpDatabase(b.runtime.database.name)
  expect(stored).not.toContain(SECRET.email)
  expect(stored).not.toContain(SECRET.name)
  for (const d of [a, b]) await d.close()
})

it('a no-op decided on pending events keeps no personal value of a forgotten subject', async () => {
  const server = new MemorySyncServer()
  const a = device(server)
  await a.execute('user.profile', { id: 'u1', input: SECRET })
  await a.execute('user.profile', { id: 'u1', input: SECRET }) // appends nothing, journaled (pending head)
  await a.syncNow()
  await a.forgetSubject('u1')
  await a.syncNow()
  const stored = await dumpDatabase(a.runtime.database.name)
  expect(stored).not.toContain(SECRET.email)
  expect(stored).not.toContain(SECRET.name)
  await a.close()
})

it('a command rejected on a rebase keeps no personal value of a forgotten subject', async () => {
  const server = new MemorySyncServer()
  const [a, b] = [device(server), device(server)]
  for (let i = 0; i < PROFILE_CHANGES; i++)
    await a.execute('user.profile', { id: 'u1', input: { email: `a${i}@example.test`, name: `A ${i}` } })
  await b.execute('user.profile', { id: 'u1', input: SECRET }) // offline
  await a.syncNow()
  await b.syncNow() // rebased: the profile may not change any more (ProfileLocked)
  const rejected = await b.runtime.database.table('commands').toArray()
  expect(rejected.map((c: { status: string }) => c.status)).toEqual(['rejected'])
  await a.forgetSubject('u1')
  await b.syncNow()
  const stored = await dumpDatabase(b.runtime.database.name)
  expect(stored).not.toContain(SECRET.email)
  expect(stored).not.toContain(SECRET.name)
  for (const d of [a, b]) await d.close()
})
