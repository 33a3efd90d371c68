/**
 * Review (issue 16): a device pushes a personal event, the answer arrives but its pull does not (network drop),
 * and the tab is closed (subject keys are kept in memory only); meanwhile the subject is forgotten. At its next pull its own event comes back with REDACTED fields (the key is
 * gone), which differs from the local plaintext copy: the runtime takes it for someone else's event under our id
 * (ID_REUSED) and rejects a command the server has in fact accepted (the app is told its join failed; a retry
 * would be refused AlreadyJoined). Cause: `sameEvent` in apply-pull compares the pulled, redacted data with the
 * local plaintext, before the erasure noted from the same pull is made.
 */
import { expect, it } from 'vitest'
import { createLocalClient, type SyncTransport } from '../../src'
import { MemorySyncServer } from '../../src/testing'
import { team } from '../fixtures/members'
import { dumpDatabase, freshName } from '../helpers'

const ALICE = { email: 'alice@example.com', name: 'Alice Liddell', role: 'dev' }

it('an own event pushed before the forget and pulled after it is confirmed, not rejected as ID_REUSED', async () => {
  const server = new MemorySyncServer()
  const base = server.transport()
  let pullDown = false
  const flaky: SyncTransport = {
    ...base,
    pull: async (after, limit) => {
      if (pullDown) throw new TypeError('network down')
      return base.pull(after, limit)
    },
  }
  const name = freshName('privacy-own')
  const a = createLocalClient(team, { name, sync: { space: 'team', transport: flaky, autoStart: false } })
  const b = createLocalClient(team, {
    name: freshName('privacy-own-b'),
    sync: { space: 'team', transport: server.transport(), autoStart: false },
  })
  await a.execute('member.join', { id: 'alice', commandId: 'join-alice', input: ALICE })
  pullDown = true
  await a.syncNow().catch(() => {}) // pushed and accepted; the pull that would confirm it fails
  expect(server.log.map((e) => e.type)).toEqual(['MemberJoined'])
  pullDown = false
  await a.close() // the tab is closed: its in-memory subject keys go with it

  await b.forgetSubject('alice')
  const again = createLocalClient(team, {
    name,
    sync: { space: 'team', transport: server.transport(), autoStart: false },
  })
  await again.syncNow().catch(() => {})
  await again.syncNow().catch(() => {})

  // The server accepted that command: it must not be reported rejected.
  expect(again.runtime.status.get().rejected).toEqual([])
  // And Alice's plaintext is nowhere on the device.
  const stored = await dumpDatabase(name)
  for (const secret of [ALICE.email, ALICE.name]) expect(stored).not.toContain(secret)
  await again.close()
  await b.close()
})
