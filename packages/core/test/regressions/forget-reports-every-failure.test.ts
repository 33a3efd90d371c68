/**
 * Issue (forget gaps, 4): `forgetSubject` without `spaces` tries every joined space, but rejected with the first
 * failure only: the caller could not tell that another space failed too, nor where it had worked.
 * Expected: one SyncError `FORGET_INCOMPLETE` whose details list every failed space with its error and every
 * space where the forget was done, the same through a worker (errors cross it as data) as in the page; a single
 * failure says what failed in its message.
 */
import * as Comlink from 'comlink'
import { expect, it } from 'vitest'
import {
  type CairnClient,
  createClient,
  createLocalClient,
  type ForgetIncompleteDetails,
  isCairnError,
  SyncError,
  type SyncTransport,
  spacesTransport,
} from '../../src'
import { Runtime } from '../../src/runtime/runtime'
import { SyncHttpError } from '../../src/sync/transport'
import { MemorySyncServer } from '../../src/testing'
import { workerApi } from '../../src/worker'
import { team } from '../fixtures/members'
import { freshName } from '../helpers'

const SPACES = ['one', 'two', 'three']

/** Space `one` refuses the forget, `two` cannot reach its key store, `three` forgets. */
function transport() {
  const servers = new Map(SPACES.map((s) => [s, new MemorySyncServer()]))
  const failing = (space: string, t: SyncTransport): SyncTransport => ({
    ...t,
    forget: async (request) => {
      if (space === 'one') throw new SyncHttpError(403, { code: 'FORBIDDEN', message: 'not allowed to forget' })
      if (space === 'two') throw new Error('key store down')
      return (t.forget as NonNullable<SyncTransport['forget']>)(request)
    },
  })
  return spacesTransport((space) => {
    const server = servers.get(space)
    return server && failing(space, server.transport())
  })
}

const options = () => ({
  name: freshName('forget-failures'),
  sync: { spaces: SPACES, spacesTransport: transport(), autoStart: false },
})

/** A client of a runtime served over a real message channel, as a worker serves it. */
function throughWorker(): CairnClient<typeof team> {
  const { port1, port2 } = new MessageChannel()
  Comlink.expose(workerApi(new Runtime(team, options())), port1)
  return createClient<typeof team>(port2)
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error('expected a rejection')
}

for (const [kind, make] of [
  ['local client', () => createLocalClient(team, options())],
  ['worker client', throughWorker],
] as const)
  it(`every space's failure is reported, with where it worked (${kind})`, async () => {
    const client = make()
    const error = await rejection(client.forgetSubject('alice'))
    expect(error).toBeInstanceOf(SyncError)
    expect(isCairnError(error, 'SyncError') && error.code).toBe('FORGET_INCOMPLETE')
    const details = (error as SyncError).details as ForgetIncompleteDetails
    expect(details).toEqual({
      subject: 'alice',
      failures: [
        { space: 'one', error: expect.objectContaining({ name: 'SyncError', code: 'FORBIDDEN' }) },
        {
          space: 'two',
          error: expect.objectContaining({ name: 'SyncError', code: 'NETWORK', message: 'key store down' }),
        },
      ],
      forgotten: [{ space: 'three', result: { subject: 'alice', seq: expect.any(Number) } }],
    })
    expect((error as Error).message).toMatch(/'one'.*not allowed to forget.*'two'.*key store down.*'three'/s)

    // One space, one failure: the message says which and why.
    const single = await rejection(client.forgetSubject('alice', { spaces: ['one'] }))
    expect(single).toMatchObject({ code: 'FORGET_INCOMPLETE', details: { forgotten: [] } })
    expect((single as Error).message).toMatch(/space 'one'.*FORBIDDEN.*not allowed to forget/)
    // Nothing failed: the results, as before.
    expect(await client.forgetSubject('alice', { spaces: ['three'] })).toEqual([
      { subject: 'alice', seq: expect.any(Number) },
    ])
    await client.close()
  })
