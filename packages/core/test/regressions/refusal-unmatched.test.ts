/**
 * Review: a refusal (`refused` in the error body) that names no pending command of this client. The engine
 * treats "refusals.size > 0" as progress and pushes the same batch again: it loops until the request budget
 * (1000 requests, each with a full rollback/re-apply transaction), and then the pull never runs because the
 * budget is spent: others' events stop arriving ("pulls never wait on pushes" is broken).
 */
import { expect, it } from 'vitest'
import type { SyncTransport } from '../../src/sync/transport'
import { SyncHttpError } from '../../src/sync/transport'
import { MemorySyncServer } from '../../src/testing/memory-sync-server'
import { failureDomain } from '../fixtures/failure-domain'
import { syncClient } from '../fixtures/failure-helpers'

it('a refusal naming an unknown command neither loops to the request budget nor starves the pull', async () => {
  const server = new MemorySyncServer()
  const inner = server.transport()
  let pushes = 0
  const transport: SyncTransport = {
    ...inner,
    push: async (r) => {
      pushes += 1
      throw new SyncHttpError(422, {
        code: 'INVALID_EVENT_DATA',
        message: 'refused',
        refused: [
          {
            id: r.events[0]?.id ?? '?',
            commandId: 'not-a-command-of-this-client',
            code: 'INVALID_EVENT_DATA',
            message: 'bad',
          },
        ],
      })
    },
  }
  const domain = failureDomain()
  const a = syncClient(domain, server, { sync: { transport } })
  const b = syncClient(domain, server)
  await b.execute('note.write', { id: 'theirs', input: { text: 'theirs' } })
  await b.syncNow()
  await a.execute('note.write', { id: 'mine', input: { text: 'mine' } })
  const error = await a.syncNow().catch((e) => e)
  // Others' events must have arrived whatever the push did.
  expect.soft(await a.query('notes.texts')).toContain('theirs') // before the fix: the budget was spent by the push loop
  expect.soft(pushes).toBeLessThan(10) // before the fix: 1000 pushes
  expect.soft(error?.code).not.toBe('TOO_MANY_REQUESTS')
  await a.close()
  await b.close()
}, 60_000)
