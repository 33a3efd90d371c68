/**
 * Review: "A catch-up that storage refuses is reported in status.errors and retried later; ready still resolves"
 * (docs/failure-model.md, boot.ts). For an *inline* projection the runtime then serves commands whose inline
 * step writes into the half-rebuilt table (executor.ts inlineProjectionsFor does not look at the checkpoint), and
 * the retry at the next start resumes from the checkpoint and applies those events a second time.
 */
import { afterEach, expect, it } from 'vitest'
import { createLocalClient } from '../../src/client/local-client'
import { failureDomain } from '../fixtures/failure-domain'
import { freshName } from '../helpers'

const proto = (
  globalThis as unknown as { IDBObjectStore: { prototype: { put: (...a: unknown[]) => unknown; name: string } } }
).IDBObjectStore.prototype
const originalPut = proto.put
let failCounts = false
proto.put = function (this: { name: string }, ...args: unknown[]) {
  if (failCounts && this.name.startsWith('rm_counts_')) {
    throw new DOMException('simulated: quota exceeded', 'QuotaExceededError')
  }
  return originalPut.apply(this, args)
}
afterEach(() => {
  failCounts = false
})

it('an inline projection whose boot catch-up failed never applies an event twice', async () => {
  const name = freshName('inline-catchup')
  const v1 = createLocalClient(failureDomain({ counts: { version: 1 } }), { name })
  await v1.execute('counter.inc', { id: 'x', input: { by: 1 } })
  await v1.close()

  failCounts = true // storage refuses the rebuild of counts v2 (quota)
  const v2 = createLocalClient(failureDomain({ counts: { version: 2 } }), { name })
  await v2.runtime.ready
  failCounts = false
  expect(v2.runtime.status.get().errors.map((e) => e.where)).toContain('catch-up:counts')
  await v2.execute('counter.inc', { id: 'x', input: { by: 1 } })
  await v2.close()

  const again = createLocalClient(failureDomain({ counts: { version: 2 } }), { name })
  await again.runtime.ready
  expect(again.runtime.status.get().errors).toEqual([])
  // The log holds two increments of 1: a rebuild gives { n: 2, applied: 2 }.
  expect(await again.query('counts.byId', 'x')).toMatchObject({ n: 2, applied: 2 }) // before the fix: { n: 3, applied: 3 }
  await again.close()
})
