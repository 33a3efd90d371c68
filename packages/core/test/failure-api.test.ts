/**
 * Issue 11, cases 10–15 and the extras: promises of the API (idempotency for every outcome, group commit,
 * pause, live queries, the test kit, pulls of long streams, bounded 413 handling, unique-index violations,
 * dismissRejected).
 */
import { describe, expect, it, vi } from 'vitest'
import { createLocalClient } from '../src/client/local-client'
import type { PushRequest } from '../src/protocol'
import { deepEqual } from '../src/runtime/equal'
import { SyncHttpError, type SyncTransport } from '../src/sync/transport'
import { createTestRuntime } from '../src/testing'
import { MemorySyncServer } from '../src/testing/memory-sync-server'
import { decideCalls, failureDomain, type MediaRow, mediaDomain } from './fixtures/failure-domain'
import { confirmedIds, countingTransport, localLog, syncClient, type WithRuntime } from './fixtures/failure-helpers'
import { freshName } from './helpers'

const journal = async (c: WithRuntime, id: string) =>
  (await c.runtime.database.table('commands').get(id)) as { status: string } | undefined

const streamLength = async (c: WithRuntime, stream: string) =>
  (await localLog(c)).filter((e) => e.stream === stream).length

describe('issue 11 — promises of the API', () => {
  it('case 10: a group commit whose last command is a duplicate: whenProcessed resolves, status.position never goes back', async () => {
    const c = createLocalClient(failureDomain(), { name: freshName('case10') })
    const first = await c.execute('counter.inc', { id: 'x', input: {}, commandId: 'k' })
    const positions: number[] = []
    c.subscribeStatus((s) => positions.push(s.position))
    // The first command takes a transaction; the next two arrive meanwhile and are committed together.
    const [, mine, duplicate] = await Promise.all([
      c.execute('counter.inc', { id: 'a', input: {} }),
      c.execute('counter.inc', { id: 'b', input: {} }),
      c.execute('counter.inc', { id: 'x', input: {}, commandId: 'k' }),
    ])
    expect(duplicate).toMatchObject({ commandId: 'k', duplicate: true, events: first.events })
    const position = mine.events[0]?.position ?? 0
    let processed = false
    void c.whenProcessed(position).then(() => {
      processed = true
    })
    await vi.waitFor(() => expect(processed).toBe(true), { timeout: 2000 })
    expect(positions).toEqual([...positions].sort((p, q) => p - q))
    expect(c.runtime.status.get().position).toBe(position)
    await c.close()
  })

  describe('case 11: idempotency holds for every outcome', () => {
    it('case 11: a command that produced no events is remembered: retrying its commandId appends nothing', async () => {
      const c = createLocalClient(failureDomain(), { name: freshName('case11') })
      const none = await c.execute('counter.setTo', { id: 'x', input: { n: 0 }, commandId: 'set-0' })
      expect(none.events).toEqual([])
      await c.execute('counter.inc', { id: 'x', input: { by: 5 } })
      const again = await c.execute('counter.setTo', { id: 'x', input: { n: 0 }, commandId: 'set-0' })
      expect(again).toMatchObject({ commandId: 'set-0', duplicate: true, events: [] })
      expect(await streamLength(c, 'counter:x')).toBe(1)
      expect(await c.query('counts.byId', 'x')).toMatchObject({ n: 5 })
      expect(await journal(c, 'set-0')).toMatchObject({ status: 'confirmed' })
      await c.close()
    })

    it('case 11: a command its decider rejected is remembered: a retry gets the same rejection and appends nothing', async () => {
      const c = createLocalClient(failureDomain(), { name: freshName('case11') })
      const first = await c.execute('counter.decrement', { id: 'x', input: {}, commandId: 'dec' }).catch((e) => e)
      expect(first).toMatchObject({ name: 'CommandRejected', code: 'NotPositive' })
      await c.execute('counter.inc', { id: 'x', input: { by: 5 } })
      const retry = await c.execute('counter.decrement', { id: 'x', input: {}, commandId: 'dec' }).catch((e) => e)
      expect(retry).toMatchObject({ name: 'CommandRejected', code: 'NotPositive' })
      expect(await streamLength(c, 'counter:x')).toBe(1)
      expect(await c.query('counts.byId', 'x')).toMatchObject({ n: 5 })
      expect(await journal(c, 'dec')).toMatchObject({ status: 'failed' })
      await c.close()
    })

    it('case 11: a command that failed its expectedVersion is remembered: a retry gets the same error', async () => {
      const c = createLocalClient(failureDomain(), { name: freshName('case11') })
      const request = { id: 'y', input: {}, expectedVersion: 3, commandId: 'ev' } as const
      const first = await c.execute('counter.inc', request).catch((e) => e)
      expect(first).toMatchObject({ name: 'ConcurrencyError', code: 'CONCURRENCY' })
      for (let i = 0; i < 3; i++) await c.execute('counter.inc', { id: 'y', input: {} })
      const retry = await c.execute('counter.inc', request).catch((e) => e)
      expect(retry).toMatchObject({ name: 'ConcurrencyError', code: 'CONCURRENCY' })
      expect(await streamLength(c, 'counter:y')).toBe(3)
      expect(await journal(c, 'ev')).toMatchObject({ status: 'failed' })
      await c.close()
    })
  })

  it('case 12: syncNow() while paused rejects with SYNC_PAUSED and pushes nothing', async () => {
    const server = new MemorySyncServer()
    const counted = countingTransport(server)
    const a = syncClient(failureDomain(), server, { sync: { transport: counted.transport } })
    await a.execute('note.write', { id: 'n', input: { text: 'offline' } })
    await a.pauseSync()
    await expect(a.syncNow()).rejects.toMatchObject({ name: 'SyncError', code: 'SYNC_PAUSED' })
    expect(counted.pushes).toHaveLength(0)
    expect(server.head).toBe(0)
    await a.resumeSync()
    await vi.waitFor(() => expect(a.runtime.status.get().paused).toBe(false))
    await a.syncNow()
    expect(server.head).toBe(1)
    await a.close()
  })

  describe('case 13: live queries republish when a Set, Map, ArrayBuffer or Blob field changes', () => {
    const cases = [
      { kind: 'Set', command: 'media.setTags', inputs: [{ tags: ['a'] }, { tags: ['b'] }], contents: [['a'], ['b']] },
      {
        kind: 'Map',
        command: 'media.setAttrs',
        inputs: [{ attrs: [['k', 'v1']] }, { attrs: [['k', 'v2']] }],
        contents: [[['k', 'v1']], [['k', 'v2']]],
      },
      {
        kind: 'ArrayBuffer',
        command: 'media.setBytes',
        inputs: [{ bytes: [1, 2] }, { bytes: [1, 3] }],
        contents: [
          [1, 2],
          [1, 3],
        ],
      },
      { kind: 'Blob', command: 'media.setBlob', inputs: [{ text: 'one' }, { text: 'two' }], contents: ['one', 'two'] },
    ] as const
    /** What the row's special field holds, comparable with toEqual. */
    const contentOf = async (row: MediaRow | null | undefined): Promise<unknown> => {
      const value = row?.value
      if (value instanceof Set || value instanceof Map) return [...value]
      if (value instanceof ArrayBuffer) return [...new Uint8Array(value)]
      if (value instanceof Blob) return await value.text()
      return undefined
    }
    for (const { kind, command, inputs, contents } of cases) {
      it(`case 13: a live query republishes when a row's ${kind} field changes`, async () => {
        const c = createLocalClient(mediaDomain, { name: freshName('case13') })
        const seen: (MediaRow | null)[] = []
        const stop = c.subscribe('mediaRows.byId', 'm', (row) => seen.push(row))
        await c.execute(command, { id: 'm', input: inputs[0] as never })
        await vi.waitFor(async () => expect(await contentOf(seen.at(-1))).toEqual(contents[0]))
        await c.execute(command, { id: 'm', input: inputs[1] as never })
        await vi.waitFor(async () => expect(await contentOf(seen.at(-1))).toEqual(contents[1]))
        stop()
        await c.close()
      })
    }

    it('case 13: deepEqual compares Sets, Maps, ArrayBuffers and typed arrays by content, Blobs by identity', () => {
      expect(deepEqual({ a: [1, { b: new Date(5) }] }, { a: [1, { b: new Date(5) }] })).toBe(true)
      expect(deepEqual({ a: new Date(5) }, { a: new Date(6) })).toBe(false)
      expect(deepEqual({ s: new Set(['a']) }, { s: new Set(['a']) })).toBe(true)
      expect(deepEqual({ s: new Set(['a']) }, { s: new Set(['b']) })).toBe(false)
      expect(deepEqual(new Set([{ x: 1 }]), new Set([{ x: 1 }]))).toBe(true)
      expect(deepEqual({ m: new Map([['k', 1]]) }, { m: new Map([['k', 1]]) })).toBe(true)
      expect(deepEqual({ m: new Map([['k', 1]]) }, { m: new Map([['k', 2]]) })).toBe(false)
      expect(deepEqual(new Uint8Array([1, 2]).buffer, new Uint8Array([1, 2]).buffer)).toBe(true)
      expect(deepEqual(new Uint8Array([1, 2]).buffer, new Uint8Array([1, 3]).buffer)).toBe(false)
      expect(deepEqual(new Float64Array([1.5]), new Float64Array([1.5]))).toBe(true)
      expect(deepEqual(new Float64Array([1.5]), new Float64Array([2.5]))).toBe(false)
      const blob = new Blob(['x'])
      expect(deepEqual({ b: blob }, { b: blob })).toBe(true)
      expect(deepEqual([{ b: blob }], [{ b: new Blob(['x']) }])).toBe(false)
      expect(deepEqual(new Set([blob]), new Set([blob]))).toBe(true)
      expect(deepEqual(new Map([['b', blob]]), new Map([['b', new Blob(['x'])]]))).toBe(false)
      expect(deepEqual(Number.NaN, Number.NaN)).toBe(true)
      expect(deepEqual({ a: 1 }, { a: 1, b: undefined })).toBe(false)
      expect(deepEqual([1, 2], { 0: 1, 1: 2 })).toBe(false)
    })
  })

  it('case 14: two test runtimes on one sync server generate distinct ids and both sync', async () => {
    const server = new MemorySyncServer()
    const sync = () => ({ transport: server.transport(), autoStart: false })
    const a = createTestRuntime(failureDomain(), { sync: sync() })
    const b = createTestRuntime(failureDomain(), { sync: sync() })
    const ra = await a.execute('note.write', { id: 'a', input: { text: 'from a' } })
    const rb = await b.execute('note.write', { id: 'b', input: { text: 'from b' } })
    expect(ra.commandId).not.toBe(rb.commandId)
    expect(ra.events[0]?.id).not.toBe(rb.events[0]?.id)
    await a.syncNow()
    await b.syncNow()
    await a.syncNow()
    expect(server.log.map((e) => e.data.text)).toEqual(['from a', 'from b'])
    expect(server.log.map((e) => e.id)).toEqual([ra.events[0]?.id, rb.events[0]?.id])
    for (const c of [a, b]) {
      expect(await confirmedIds(c)).toEqual(server.log.map((e) => e.id))
      expect(await c.query('notes.texts')).toEqual(['from a', 'from b'])
    }
    // Still deterministic: the same ids for the same sequence of calls, given a prefix.
    const p = createTestRuntime(failureDomain(), { idPrefix: 'p-' })
    expect((await p.execute('note.write', { id: 'x', input: { text: 't' } })).commandId).toBe('p-1')
    await p.close()
    await a.close()
    await b.close()
  })

  it('case 15: a pull of 20,000 events on one stream (with a pending command on it) applies correctly', async () => {
    const server = new MemorySyncServer()
    const count = 20_000
    const events = Array.from({ length: count }, (_, i) => ({
      id: `remote-${i + 1}`,
      stream: 'counter:long',
      version: i + 1,
      type: 'Incremented',
      data: { by: 1 },
      meta: { commandId: `remote-cmd-${i + 1}`, clientId: 'remote', issuedAt: i, schemaVersion: 1 },
    }))
    server.push({ clientId: 'remote', events })
    const a = syncClient(failureDomain(), server)
    const mine = await a.execute('counter.inc', { id: 'long', input: { by: 1000 } })
    await a.syncNow()
    expect(server.head).toBe(count + 1)
    expect(server.log.at(-1)?.meta?.commandId).toBe(mine.commandId)
    expect(server.log.at(-1)?.version).toBe(count + 1)
    expect(await confirmedIds(a)).toEqual(server.log.map((e) => e.id))
    expect(await a.query('counts.byId', 'long')).toEqual({
      id: 'long',
      n: count + 1000,
      applied: count + 1,
      space: 'default',
    })
    await vi.waitFor(() => expect(a.runtime.status.get().pending).toBe(0))
    await a.close()
  }, 120_000)

  it('extra: after a 413 the push batch size does not stay halved once pushes succeed again', async () => {
    const server = new MemorySyncServer()
    const inner = server.transport()
    const sizes: number[] = []
    let tooLargeOnce = true
    const transport: SyncTransport = {
      ...inner,
      push: async (request: PushRequest) => {
        sizes.push(request.events.length)
        if (tooLargeOnce && request.events.length > 6) {
          tooLargeOnce = false
          throw new SyncHttpError(413, { code: 'PAYLOAD_TOO_LARGE', message: 'too large, this once' })
        }
        return inner.push(request)
      },
    }
    const a = syncClient(failureDomain(), server, { sync: { transport } })
    for (let i = 0; i < 12; i++) await a.execute('note.write', { id: `n${i}`, input: { text: `${i}` } })
    await a.syncNow()
    expect(server.head).toBe(12)
    expect(Math.max(...sizes.slice(1))).toBeLessThanOrEqual(6)
    const mark = sizes.length
    for (let i = 12; i < 24; i++) await a.execute('note.write', { id: `n${i}`, input: { text: `${i}` } })
    await a.syncNow()
    expect(server.head).toBe(24)
    expect(sizes.slice(mark)).toEqual([12])
    await a.close()
  })

  it('extra: a genuine unique-index violation by a local command fails at once with StorageError CONSTRAINT', async () => {
    const c = createLocalClient(failureDomain(), { name: freshName('constraint') })
    await c.execute('user.register', { id: 'u1', input: { handle: 'ann' } })
    const before = decideCalls.register
    const error = await c.execute('user.register', { id: 'u2', input: { handle: 'ann' } }).catch((e) => e)
    expect(error).toMatchObject({ name: 'StorageError', code: 'CONSTRAINT' })
    expect(decideCalls.register - before).toBe(1) // decided once: not retried
    expect(await c.query('handles.all')).toEqual([{ id: 'u1', handle: 'ann', space: 'default' }])
    expect((await localLog(c)).map((e) => e.stream)).toEqual(['user:u1'])
    // Other commands still work.
    await c.execute('user.register', { id: 'u2', input: { handle: 'bob' } })
    expect(await c.query('handles.all')).toEqual([
      { id: 'u1', handle: 'ann', space: 'default' },
      { id: 'u2', handle: 'bob', space: 'default' },
    ])
    await c.close()
  })

  it('extra: dismissRejected of a pending command throws a ValidationError and changes nothing', async () => {
    const server = new MemorySyncServer()
    const a = syncClient(failureDomain(), server)
    const r = await a.execute('note.write', { id: 'n', input: { text: 'pending' } })
    await expect(a.dismissRejected(r.commandId)).rejects.toMatchObject({ name: 'ValidationError' })
    expect(await journal(a, r.commandId)).toMatchObject({ status: 'pending' })
    await vi.waitFor(() => expect(a.runtime.status.get().pending).toBe(1))
    await a.syncNow()
    expect(server.log.map((e) => e.id)).toEqual([r.events[0]?.id])
    await a.close()
  })
})
