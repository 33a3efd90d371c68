/**
 * Review: what counts as a command's outcome. A decision (the decider's rejection, a failed schema or
 * expectedVersion, or success) is journaled and returned again to a retry with the same commandId. A failure
 * of storage or of a projection (QUOTA, CONSTRAINT, a throwing projection) is not an outcome: nothing was
 * written, and a retry runs the command again — and succeeds once the cause is gone (docs/failure-model.md).
 */
import { expect, it } from 'vitest'
import { createLocalClient } from '../../src/client/local-client'
import { failureDomain } from '../fixtures/failure-domain'
import { freshName } from '../helpers'

it('a command refused by a unique index is not an outcome: nothing is journaled, a retry runs it again', async () => {
  const c = createLocalClient(failureDomain(), { name: freshName('idem') })
  await c.execute('user.register', { id: 'u1', input: { handle: 'ann' } })
  const first = await c
    .execute('user.register', { id: 'u2', input: { handle: 'ann' }, commandId: 'reg-u2' })
    .catch((e) => e)
  expect(first).toMatchObject({ code: 'CONSTRAINT' })
  expect(await c.runtime.database.table('commands').get('reg-u2')).toBeUndefined()
  const retry = await c.execute('user.register', { id: 'u2', input: { handle: 'ann2' }, commandId: 'reg-u2' })
  expect(retry).toMatchObject({ duplicate: false, events: [{ type: 'Registered' }] })
  // From then on, that outcome is what the command id returns.
  const again = await c.execute('user.register', { id: 'u2', input: { handle: 'ann3' }, commandId: 'reg-u2' })
  expect(again).toMatchObject({ duplicate: true, events: retry.events })
  await c.close()
})
