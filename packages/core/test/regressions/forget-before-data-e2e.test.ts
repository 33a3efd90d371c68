/**
 * Found by the simulation (dimensions `encrypted` + `forget`, seed 20261130, run 13): in an end-to-end encrypted
 * space a subject is forgotten before this device writes their data; the push seals the fields REDACTED (the key
 * store says forgotten) and the pull brings the event back REDACTED, so the erasure that follows found no field to
 * redact and skipped the command journal: the command's input kept the plaintext.
 */
import { expect, it } from 'vitest'
import { createLocalClient, keyFromPassphrase } from '../../src'
import { MemorySyncServer } from '../../src/testing'
import { team } from '../fixtures/members'
import { dumpDatabase, freshName } from '../helpers'

it('data written after its subject was forgotten leaves no plaintext in the command journal', async () => {
  const server = new MemorySyncServer()
  const name = freshName('forget-before-data')
  const key = await keyFromPassphrase('p', { salt: 'team', iterations: 1000 })
  const device = async (dbName: string) => {
    const d = createLocalClient(team, {
      name: dbName,
      sync: { space: 'team', transport: server.transport(), autoStart: false },
    })
    await d.joinSpace('team', { encryption: { keys: [key] } })
    return d
  }
  const a = await device(name)
  const b = await device(freshName('forget-before-data-b'))
  await a.forgetSubject('alice')
  await a.execute('member.join', { id: 'alice', input: { email: 'late@example.com', name: 'Late Alice', role: 'dev' } })
  // Someone else's event lands before ours: our pull is not just our own events (the general path re-adds ours
  // from the server's copy, REDACTED).
  await b.execute('member.join', { id: 'bob', input: { email: 'bob@example.com', name: 'Bob', role: 'ops' } })
  await b.syncNow()
  await a.syncNow()
  await a.syncNow()
  const dump = await dumpDatabase(name)
  expect(dump).not.toContain('late@example.com')
  expect(dump).not.toContain('Late Alice')
  expect(JSON.stringify(server.log)).not.toContain('late@example.com')
  await a.close()
  await b.close()
})
