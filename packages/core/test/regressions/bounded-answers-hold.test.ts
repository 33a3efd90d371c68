/**
 * Review (claims that held): hostile server answers end each syncNow with a bounded number of requests.
 */
import { expect, it } from 'vitest'
import type { SyncTransport } from '../../src/sync/transport'
import { SyncHttpError } from '../../src/sync/transport'
import { MemorySyncServer } from '../../src/testing/memory-sync-server'
import { failureDomain } from '../fixtures/failure-domain'
import { syncClient } from '../fixtures/failure-helpers'

it('a server that always answers 409 CONFLICT: 10 rebases, then CONFLICT; others still pulled', async () => {
  const server = new MemorySyncServer()
  const inner = server.transport()
  let requests = 0
  const transport: SyncTransport = {
    ...inner,
    push: async () => {
      requests++
      throw new SyncHttpError(409, { code: 'CONFLICT', message: 'always' })
    },
    pull: async (a, l) => {
      requests++
      return inner.pull(a, l)
    },
  }
  const domain = failureDomain()
  const b = syncClient(domain, server)
  await b.execute('note.write', { id: 't', input: { text: 'theirs' } })
  await b.syncNow()
  const a = syncClient(domain, server, { sync: { transport } })
  await a.execute('note.write', { id: 'm', input: { text: 'mine' } })
  await expect(a.syncNow()).rejects.toMatchObject({ body: { code: 'CONFLICT' } })
  expect(requests).toBeLessThanOrEqual(30)
  expect(await a.query('notes.texts')).toEqual(['mine', 'theirs'])
  await a.close()
  await b.close()
})

it('a server whose pull keeps returning the same known page with a larger head: one request, NO_PROGRESS', async () => {
  const server = new MemorySyncServer()
  const inner = server.transport()
  let pulls = 0
  const transport: SyncTransport = {
    ...inner,
    pull: async () => {
      pulls++
      return { ...(await inner.pull(0, 500)), head: 10_000 }
    },
  }
  const domain = failureDomain()
  const b = syncClient(domain, server)
  await b.execute('note.write', { id: 't', input: { text: 'theirs' } })
  await b.syncNow()
  const a = syncClient(domain, server, { sync: { transport, maxRequestsPerRound: 50 } })
  // The first answer brings the page; the second moves nothing although the head is ahead: asking again is useless.
  await expect(a.syncNow()).rejects.toMatchObject({ code: 'NO_PROGRESS' })
  expect(pulls).toBe(2)
  expect(await a.query('notes.texts')).toEqual(['theirs'])
  await a.close()
  await b.close()
})
