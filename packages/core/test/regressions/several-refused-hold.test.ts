/**
 * Review (claims that held): several refused commands in one batch, a later command on a refused stream, and
 * two runtimes on one database seeing the same pending / rejected lists.
 */
import { expect, it, vi } from 'vitest'
import { MemorySyncServer } from '../../src/testing/memory-sync-server'
import { failureDomain } from '../fixtures/failure-domain'
import { confirmedIds, syncClient } from '../fixtures/failure-helpers'
import { freshName } from '../helpers'

it('several refusals in one batch; a later command on a refused stream is re-decided; both tabs agree', async () => {
  const server = new MemorySyncServer({
    refuse: (e) =>
      (e.data as { handle?: string }).handle?.startsWith('bad')
        ? { code: 'INVALID_EVENT_DATA', message: 'bad handle' }
        : undefined,
  })
  const name = freshName('several')
  const tab1 = syncClient(failureDomain(), server, { name })
  const tab2 = syncClient(failureDomain(), server, { name })
  await tab1.runtime.ready
  await tab2.runtime.ready
  await tab1.execute('user.register', { id: 'u1', input: { handle: 'bad1' } })
  await tab1.execute('user.register', { id: 'u2', input: { handle: 'ok' } })
  await tab1.execute('user.register', { id: 'u3', input: { handle: 'bad3' } })
  await tab1.execute('user.rename', { id: 'u1', input: { name: 'x' } })
  await tab2.syncNow().catch(() => {})
  await tab2.syncNow()
  expect(server.log.map((e) => e.stream)).toEqual(['user:u2'])
  for (const t of [tab1, tab2]) {
    await vi.waitFor(() => expect(t.runtime.status.get().pending).toBe(0))
    await vi.waitFor(() =>
      expect(
        t.runtime.status
          .get()
          .rejected.map((r) => r.code)
          .sort(),
      ).toEqual(['INVALID_EVENT_DATA', 'INVALID_EVENT_DATA', 'NotFound']),
    )
    expect(await confirmedIds(t)).toEqual(server.log.map((e) => e.id))
  }
  await tab1.close()
  await tab2.close()
})
