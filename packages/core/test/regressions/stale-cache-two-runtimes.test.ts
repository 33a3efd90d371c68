/**
 * Review: two runtimes on one database (two tabs). The syncing tab turns a refused command into a rejection and
 * re-runs the next command on the same stream, keeping its event id (issue 11 case 6). The other tab's state
 * cache validates a stream only by its head event *id*, which is unchanged: it keeps deciding on the state that
 * still contains the refused command.
 */
import { expect, it } from 'vitest'
import { MemorySyncServer } from '../../src/testing/memory-sync-server'
import { failureDomain } from '../fixtures/failure-domain'
import { localLog, syncClient } from '../fixtures/failure-helpers'
import { freshName } from '../helpers'

it('a tab keeps deciding on a refused command after another tab rejected it (stale state cache)', async () => {
  const server = new MemorySyncServer({
    refuse: (e) =>
      e.type === 'Incremented' && (e.data as { by: number }).by === 13
        ? { code: 'FORBIDDEN', message: 'no 13' }
        : undefined,
  })
  const domain = failureDomain()
  const name = freshName('two-tabs')
  const tab1 = syncClient(domain, server, { name }) // never syncs itself
  const tab2 = syncClient(domain, server, { name }) // the syncing tab
  await tab1.runtime.ready
  await tab2.runtime.ready
  await tab1.execute('counter.inc', { id: 'x', input: { by: 13 } }) // refused by the server
  await tab1.execute('counter.inc', { id: 'x', input: { by: 1 } })
  await tab2.syncNow().catch(() => {})
  await tab2.syncNow()
  expect(server.log.map((e) => e.data)).toEqual([{ by: 1 }])
  expect(await tab1.query('counts.byId', 'x')).toMatchObject({ n: 1 })

  // The user (in tab 1) sets the counter to 14. The true state is 1, so this must append a Set event.
  const r = await tab1.execute('counter.setTo', { id: 'x', input: { n: 14 } })
  expect(r.events).toHaveLength(1) // before the fix: tab 1 decides on its cached state n = 14 (the refused +13 included)
  expect(await tab1.query('counts.byId', 'x')).toMatchObject({ n: 14 })
  await tab1.close()
  await tab2.close()
})

it('a tab appends with a stream version that skips one after another tab rejected a command (stale cache)', async () => {
  const server = new MemorySyncServer({
    refuse: (e) =>
      e.type === 'Incremented' && (e.data as { by: number }).by === 13
        ? { code: 'FORBIDDEN', message: 'no 13' }
        : undefined,
  })
  const domain = failureDomain()
  const name = freshName('two-tabs')
  const tab1 = syncClient(domain, server, { name })
  const tab2 = syncClient(domain, server, { name })
  await tab1.runtime.ready
  await tab2.runtime.ready
  await tab1.execute('counter.inc', { id: 'x', input: { by: 13 } })
  await tab1.execute('counter.inc', { id: 'x', input: { by: 1 } })
  await tab2.syncNow().catch(() => {})
  await tab2.syncNow()
  // The stream is at version 1 now; expectedVersion 1 must hold.
  const r = await tab1.execute('counter.inc', { id: 'x', input: { by: 2 }, expectedVersion: 1 }).catch((e) => e)
  expect(r).toMatchObject({ version: 2 }) // before the fix: ConcurrencyError "is at version 2"
  const versions = (await localLog(tab1))
    .filter((e) => e.stream === 'counter:x')
    .map((e) => (e as unknown as { version: number }).version)
  expect(versions).toEqual([1, 2])
  await tab1.close()
  await tab2.close()
})
