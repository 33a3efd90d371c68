/**
 * Review: a command that decided "nothing to do" on a state that included pending events is journaled
 * `confirmed` at once (executor.ts journalOutcome, and `status === 'confirmed'` when a rerun yields no events).
 * When those pending events are rolled back (refused by the server, or rejected on a rebase), the command is not
 * re-run: the user's intent is silently lost, and no outcome says so.
 */
import { expect, it, vi } from 'vitest'
import { MemorySyncServer } from '../../src/testing/memory-sync-server'
import { failureDomain } from '../fixtures/failure-domain'
import { syncClient } from '../fixtures/failure-helpers'

it('"set the counter to 13" decided on a pending +13 that the server then refuses is not silently lost', async () => {
  const server = new MemorySyncServer({
    refuse: (e) => ((e.data as { by?: number }).by === 13 ? { code: 'FORBIDDEN', message: 'no 13' } : undefined),
  })
  const a = syncClient(failureDomain(), server)
  await a.execute('counter.inc', { id: 'x', input: { by: 13 } })
  const set = await a.execute('counter.setTo', { id: 'x', input: { n: 13 }, commandId: 'set-13' })
  expect(set.events).toEqual([]) // already 13 (pending): nothing to do
  await a.syncNow().catch(() => {})
  await a.syncNow().catch(() => {})
  const journal = (await a.runtime.database.table('commands').get('set-13')) as { status: string }
  const counts = (await a.query('counts.byId', 'x')) as { n: number } | null
  await vi.waitFor(() => expect(a.runtime.status.get().rejected).toHaveLength(1))
  // Either the set was re-run on the new state (counter 13), or it is reported (rejected / pending): not both lost.
  expect(counts?.n === 13 || journal.status !== 'confirmed').toBe(true) // before the fix: counter 0, set-13 'confirmed'
  await a.close()
})
