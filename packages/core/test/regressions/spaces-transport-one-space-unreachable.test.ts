/**
 * Found by the sync simulation (dimension `spaces`): `spacesTransport(transportOf)` pulls each space through its
 * own transport, but a network failure of one space's pull failed the whole multi-space pull, so one
 * unreachable space (its own server) held up every other space's pull: events pushed to the reachable spaces
 * stayed unconfirmed and other devices' events never arrived, until the unreachable one came back.
 */
import { expect, it } from 'vitest'
import { createLocalClient } from '../../src/client/local-client'
import { SyncNetworkError, type SyncTransport, spacesTransport } from '../../src/sync/transport'
import { MemorySyncServer } from '../../src/testing/memory-sync-server'
import { failureDomain } from '../fixtures/failure-domain'
import { freshName } from '../helpers'

it("one space's unreachable server does not hold up the pull of the others", async () => {
  const servers = new Map([
    ['s1', new MemorySyncServer()],
    ['s2', new MemorySyncServer()],
  ])
  let s2Down = false
  const transportOf = (space: string): SyncTransport | undefined => {
    const server = servers.get(space)?.transport()
    if (!server || space !== 's2') return server
    const down = () => {
      if (s2Down) throw new SyncNetworkError('s2 is unreachable')
    }
    return {
      push: async (request) => {
        down()
        return server.push(request)
      },
      pull: async (after, limit) => {
        down()
        return server.pull(after, limit)
      },
    }
  }
  const client = createLocalClient(failureDomain(), {
    name: freshName('one-down'),
    sync: { spacesTransport: spacesTransport(transportOf), spaces: ['s1', 's2'], autoStart: false },
  })
  s2Down = true
  await client.execute('note.write', { id: 'n1', input: { text: 'hello' }, space: 's1' })
  const round = await client.syncNow().then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(round).toBeInstanceOf(SyncNetworkError) // s2's failure is reported...
  const spaces = client.runtime.status.get().spaces
  expect(servers.get('s1')?.head).toBe(1)
  expect(spaces.s1).toMatchObject({ cursor: 1, pending: 0, lastError: null }) // ...s1 synced (failed before the fix)
  expect(spaces.s2?.lastError?.code).toBe('NETWORK')
  await client.close()
})
