/**
 * Review (issue 16): in an end-to-end encrypted space the server is not trusted with the data: docs/privacy.md's
 * threat model says it "cannot alter, move or re-type an event undetected" (only withhold, delay, or slip in events
 * in clear, which are refused). Yet the `$SubjectForgotten` event is the server's own, in clear and authenticated
 * by nothing a member holds: a server (or its operator, or whoever gets into its database) appends one for any
 * subject it saw in the key store, and every device silently and irreversibly overwrites its only plaintext copy
 * of that subject's fields with REDACTED. The same holds for a key-store answer `{ forgotten: true }` to a pusher.
 * A forget in an encrypted space should carry something only a member can make (e.g. sealed with the space key).
 */
import { expect, it } from 'vitest'
import { createLocalClient, keyFromPassphrase } from '../../src'
import { MemorySyncServer } from '../../src/testing'
import { team } from '../fixtures/members'
import { freshName } from '../helpers'

const ALICE = { email: 'alice@example.com', name: 'Alice Liddell', role: 'dev' }

it('a server cannot make devices of an encrypted space erase a subject no member asked to forget', async () => {
  const server = new MemorySyncServer()
  const key = await keyFromPassphrase('team passphrase', { salt: 'team', iterations: 1000 })
  const device = async () => {
    const d = createLocalClient(team, {
      name: freshName('privacy-forged'),
      sync: { space: 'team', transport: server.transport(), autoStart: false },
    })
    await d.joinSpace('team', { encryption: { keys: [key] } })
    return d
  }
  const [a, b] = [await device(), await device()]
  await a.execute('member.join', { id: 'alice', input: ALICE })
  await a.syncNow()
  await b.syncNow()
  expect((await b.query('members.all'))[0]?.email).toBe(ALICE.email)

  // No member asks for it: the server itself destroys the key and appends the event (it knows 'alice' from the
  // key store requests).
  server.forget('alice')
  await a.syncNow().catch(() => {})
  await b.syncNow().catch(() => {})

  for (const d of [a, b]) expect((await d.query('members.all'))[0]?.email).toBe(ALICE.email)
  await a.close()
  await b.close()
})
