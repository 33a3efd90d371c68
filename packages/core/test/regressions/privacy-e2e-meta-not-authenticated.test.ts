/**
 * Review (issue 16): docs/privacy.md says the server of an end-to-end encrypted space "cannot alter, move or
 * re-type an event undetected (DECRYPT_FAILED)". The envelope's authenticated data is
 * `[format, space, id, stream, version, wireType]`: the event's `meta` is not in it, yet the worker acts on it:
 * `meta.schemaVersion` decides the upcasters run, whether evolve and projections take the event at all (a version
 * newer than the code knows is set aside) and whether its personal fields are erased; `meta.commandId` ties it to a
 * local command. Here the server bumps `meta.schemaVersion` of a member's event: the device that pulls it opens it
 * fine and silently leaves it out of its state and read model, while the writer's copy has it.
 */
import { expect, it } from 'vitest'
import { createLocalClient, keyFromPassphrase } from '../../src'
import { MemorySyncServer } from '../../src/testing'
import { team } from '../fixtures/members'
import { freshName } from '../helpers'

it("a server that alters an encrypted event's meta is detected (or the alteration changes nothing)", async () => {
  const server = new MemorySyncServer()
  const key = await keyFromPassphrase('team passphrase', { salt: 'team', iterations: 1000 })
  const device = async () => {
    const d = createLocalClient(team, {
      name: freshName('privacy-meta'),
      sync: { space: 'team', transport: server.transport(), autoStart: false },
    })
    await d.joinSpace('team', { encryption: { keys: [key], hideTypes: true } })
    return d
  }
  const a = await device()
  await a.execute('member.join', { id: 'alice', input: { email: 'alice@example.com', name: 'Alice', role: 'dev' } })
  await a.syncNow()
  // The server edits what it stores (it cannot read the data, but meta is in clear).
  const stored = server.log[0] as { meta?: Record<string, unknown> }
  stored.meta = { ...stored.meta, schemaVersion: 7 }

  const b = await device()
  const error = await b.syncNow().then(
    () => undefined,
    (e: { code?: string }) => e,
  )
  if (error === undefined) expect(await b.query('members.all')).toEqual(await a.query('members.all'))
  else expect(error.code).toBe('DECRYPT_FAILED')
  await a.close()
  await b.close()
})
