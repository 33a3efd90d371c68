/**
 * Review (issue 16): after a server reset, `reuploadToServer()` sends each event's saved wire form, whose personal
 * fields are sealed with subject keys of the OLD server's key store. The new server's key store is empty (it was
 * reset with the log), so nobody can open those fields again: every device that pulls them (a new one, or any
 * device after a reload empties its in-memory keyring) holds the space at SUBJECT_KEY_MISSING for good, although
 * the re-uploading device still has the plaintext. The re-upload should re-seal personal fields under the new
 * server's keys (or carry the keys over).
 */
import { expect, it } from 'vitest'
import { createLocalClient, type SyncTransport } from '../../src'
import { MemorySyncServer } from '../../src/testing'
import { team } from '../fixtures/members'
import { freshName } from '../helpers'

const ALICE = { email: 'alice@example.com', name: 'Alice Liddell', role: 'dev' }

function switchable(servers: { current: MemorySyncServer }): SyncTransport {
  return {
    push: (request) => servers.current.transport().push(request),
    pull: (after, limit) => servers.current.transport().pull(after, limit),
    subjectKeys: (request) => servers.current.transport().subjectKeys!(request),
    forget: (request) => servers.current.transport().forget!(request),
  }
}

it('after a server reset and a re-upload, a new device reads the re-uploaded personal fields', async () => {
  const servers = { current: new MemorySyncServer() }
  const device = () =>
    createLocalClient(team, {
      name: freshName('privacy-reupload'),
      sync: { space: 'team', transport: switchable(servers), autoStart: false },
    })
  const a = device()
  await a.execute('member.join', { id: 'alice', input: ALICE })
  await a.syncNow()

  const fresh = new MemorySyncServer()
  fresh.backendId = 'new-backend'
  servers.current = fresh
  await expect(a.syncNow()).rejects.toMatchObject({ code: 'SERVER_RESET' })
  await a.reuploadToServer()
  await a.syncNow()

  const late = device()
  await late.syncNow().catch(() => {})
  expect(late.runtime.status.get().spaces.team?.lastError ?? null).toBeNull()
  expect(await late.query('members.all')).toMatchObject([{ id: 'alice', email: ALICE.email, name: ALICE.name }])
  await a.close()
  await late.close()
})

it('two devices re-upload the same personal event (each sealed anew): the second keeps the first one, no error', async () => {
  const servers = { current: new MemorySyncServer() }
  const device = () =>
    createLocalClient(team, {
      name: freshName('privacy-reupload-two'),
      sync: { space: 'team', transport: switchable(servers), autoStart: false },
    })
  const [a, b] = [device(), device()]
  await a.execute('member.join', { id: 'alice', input: ALICE })
  await a.syncNow()
  await b.syncNow()
  const fresh = new MemorySyncServer()
  fresh.backendId = 'new-backend'
  servers.current = fresh
  for (const d of [a, b]) await expect(d.syncNow()).rejects.toMatchObject({ code: 'SERVER_RESET' })
  expect((await a.reuploadToServer()).pushed).toBe(1)
  await b.reuploadToServer()
  for (const d of [a, b]) await d.syncNow()
  expect(fresh.log).toHaveLength(1)
  for (const d of [a, b]) {
    expect(d.runtime.status.get().spaces.team?.lastError ?? null).toBeNull()
    expect(await d.query('members.all')).toMatchObject([{ id: 'alice', email: ALICE.email }])
  }
  await a.close()
  await b.close()
})
