/**
 * Found while instrumenting the executor: a failure that no path of a batch handles (a bug, or a listener of
 * committed commands that throws) ended the queue's loop. The batch's promises that were not settled yet, and
 * every batch queued behind it, waited for good (until some later command started the loop again). Now such a
 * failure rejects what is still waiting in that batch and the queue goes on.
 */
import { expect, it } from 'vitest'
import { createLocalClient } from '../../src/client/local-client'
import { failureDomain } from '../fixtures/failure-domain'
import { freshName } from '../helpers'

it('a listener of committed commands that throws does not leave later commands waiting', async () => {
  const client = createLocalClient(failureDomain(), { name: freshName('after-commit') })
  await client.execute('counter.inc', { id: 'warm', input: { by: 1 } })
  const followers = (client.runtime as unknown as { followers: { committed: (...a: unknown[]) => void } }).followers
  const committed = followers.committed.bind(followers)
  let throws = true
  followers.committed = (...args: unknown[]) => {
    if (throws) {
      throws = false
      throw new Error('a listener bug')
    }
    committed(...args)
  }
  // More than one batch (500 commands each): the second is queued behind the first.
  const all = Array.from({ length: 600 }, (_, i) => client.execute('counter.inc', { id: `c${i}`, input: { by: 1 } }))
  const settled = await Promise.allSettled(all)
  expect(settled.filter((s) => s.status === 'fulfilled').length).toBe(600)
  await client.close()
})
