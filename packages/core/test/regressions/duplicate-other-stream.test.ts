/**
 * Review: a commandId reused on another stream (or another path) returns the first result, as promised, but
 * labels it with the *new* request's stream (executor.ts runOne: `{ commandId, stream, ...previous.result }`).
 */
import { expect, it } from 'vitest'
import { createLocalClient } from '../../src/client/local-client'
import { failureDomain } from '../fixtures/failure-domain'
import { freshName } from '../helpers'

it('a duplicate returns the stream its events belong to', async () => {
  const c = createLocalClient(failureDomain(), { name: freshName('dup') })
  const first = await c.execute('counter.inc', { id: 'a', input: {}, commandId: 'k' })
  const again = await c.execute('note.write', { id: 'b', input: { text: 't' }, commandId: 'k' })
  expect(again.duplicate).toBe(true)
  expect(again.events).toEqual(first.events)
  expect(again.stream).toBe('counter:a') // before the fix: 'note:b'
  await c.close()
})
