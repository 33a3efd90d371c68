/**
 * Pins how live queries learn about writes Cairn makes with raw IndexedDB requests (the log and the journal are
 * written around Dexie's middleware for speed, see runtime/raw.ts). If a Dexie upgrade changed the protocol,
 * these fail instead of live queries over the log and the journal silently going stale — in this context (with
 * Dexie's query cache) and in another one on the same database.
 */
import { liveQuery } from 'dexie'
import { describe, expect, it } from 'vitest'
import { createLocalClient } from '../src/client/local-client'
import type { LogSnapshot } from '../src/runtime/log'
import { failureDomain } from './fixtures/failure-domain'
import { freshName } from './helpers'

describe('live queries over the log and the journal', () => {
  it('see every command: the log view, the pending count, and a plain Dexie liveQuery over the events table', async () => {
    const name = freshName('live')
    const a = createLocalClient(failureDomain(), { name, sync: { transport: neverTransport(), autoStart: false } })
    let log: LogSnapshot | undefined
    const stop = a.subscribeLog({ limit: 10 }, (snapshot) => {
      log = snapshot
    })
    await a.execute('counter.inc', { id: 'k', input: { by: 1 } })
    await expect.poll(() => log?.events.length).toBe(1)
    await expect.poll(() => a.runtime.status.get().pending).toBe(1)

    // A plain Dexie live query (Dexie's cache included) over the raw-written table, read before and after.
    const counts: number[] = []
    const subscription = liveQuery(() => a.runtime.database.table('events').count()).subscribe({
      next: (n: number) => counts.push(n),
    })
    await expect.poll(() => counts.at(-1)).toBe(1)
    await a.execute('counter.inc', { id: 'k', input: { by: 2 } })
    await a.execute('counter.inc', { id: 'j', input: { by: 3 } })
    await expect.poll(() => counts.at(-1)).toBe(3)
    await expect.poll(() => log?.events.length).toBe(3)
    await expect.poll(() => a.runtime.status.get().pending).toBe(3)

    // Another runtime on the same database sees the commands of the first (cross-context invalidation).
    const b = createLocalClient(failureDomain(), { name, sync: { transport: neverTransport(), autoStart: false } })
    await expect.poll(() => b.runtime.status.get().pending).toBe(3)
    await a.execute('counter.inc', { id: 'k', input: { by: 4 } })
    await expect.poll(() => b.runtime.status.get().pending).toBe(4)

    subscription.unsubscribe()
    stop()
    await a.close()
    await b.close()
  })
})

function neverTransport() {
  const offline = async () => {
    throw new Error('offline')
  }
  return { push: offline, pull: offline }
}
