/**
 * Review: an event id the server already holds with other content is refused (409 ID_REUSED) when the push
 * happens before the pull. When the pull comes first (the push failed on the network, or the page arrives
 * before our push round), the pull matches the pulled event to our pending event by id alone and "confirms" it.
 */
import { expect, it } from 'vitest'
import type { SyncTransport } from '../../src/sync/transport'
import { SyncNetworkError } from '../../src/sync/transport'
import { MemorySyncServer } from '../../src/testing/memory-sync-server'
import { failureDomain } from '../fixtures/failure-domain'
import { confirmedIds, idsThen, localLog, syncClient } from '../fixtures/failure-helpers'

function flakyPushOnce(server: MemorySyncServer): SyncTransport {
  const inner = server.transport()
  let failed = false
  return {
    ...inner,
    push: async (r) => {
      if (!failed) {
        failed = true
        throw new SyncNetworkError('connection reset')
      }
      return inner.push(r)
    },
  }
}

it('a pending event whose id the server holds with other content is confirmed in place (pull before push)', async () => {
  const server = new MemorySyncServer()
  const domain = failureDomain()
  const a = syncClient(domain, server, { newId: idsThen(['cmd-a', 'same-event-id'], 'a') })
  const b = syncClient(domain, server, {
    newId: idsThen(['cmd-b', 'same-event-id'], 'b'),
    sync: { transport: flakyPushOnce(server) },
  })
  await a.execute('note.write', { id: 'n1', input: { text: 'from a' } })
  await a.syncNow()
  await b.execute('note.write', { id: 'n2', input: { text: 'from b' } })
  await b.syncNow().catch(() => {}) // push fails on the network; the pull still runs
  await b.syncNow().catch(() => {})
  const log = await localLog(b)
  // The server holds 'from a' on note:n1; b's log must not claim 'from b' is that confirmed event.
  expect(log.map((e) => [e.id, e.stream, e.gpos])).toEqual(server.log.map((e) => [e.id, e.stream, e.seq]))
  await a.close()
  await b.close()
})

it('…and with another pending command before it, the command is marked confirmed although its event is gone', async () => {
  const server = new MemorySyncServer()
  const domain = failureDomain()
  const a = syncClient(domain, server, { newId: idsThen(['cmd-a', 'same-event-id'], 'a') })
  const b = syncClient(domain, server, {
    newId: idsThen(['cmd-b0', 'b0-event', 'cmd-b', 'same-event-id'], 'b'),
    sync: { transport: flakyPushOnce(server) },
  })
  await a.execute('note.write', { id: 'n1', input: { text: 'from a' } })
  await a.syncNow()
  await b.execute('note.write', { id: 'n0', input: { text: 'b first' } })
  await b.execute('note.write', { id: 'n2', input: { text: 'from b' } })
  await b.syncNow().catch(() => {})
  await b.syncNow().catch(() => {})
  const journal = (await b.runtime.database.table('commands').get('cmd-b')) as { status: string }
  // b's 'from b' never reached the server: the command must be rejected (ID_REUSED) or pending, not confirmed.
  expect(server.log.map((e) => e.data.text)).not.toContain('from b')
  expect(journal.status).not.toBe('confirmed')
  expect(await confirmedIds(b)).toEqual(server.log.map((e) => e.id))
  await a.close()
  await b.close()
})
