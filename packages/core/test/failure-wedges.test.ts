/**
 * Issue 11, cases 1–4: permanent wedges and bricked start-ups. Every unhappy path ends in a reported outcome;
 * opening a database never fails because of what it holds; pulls never wait on pushes.
 */
import { describe, expect, it, vi } from 'vitest'
import type { LocalClient } from '../src/client/local-client'
import type { RejectedCommand } from '../src/runtime/status'
import { MemorySyncServer } from '../src/testing/memory-sync-server'
import { type FailureDomain, failureDomain } from './fixtures/failure-domain'
import { confirmedIds, countingTransport, idsThen, quarantinedOf, syncClient } from './fixtures/failure-helpers'
import { freshName } from './helpers'

type Client = LocalClient<FailureDomain>

const commandStatus = async (c: Client, id: string) =>
  (await c.runtime.database.table('commands').get(id)) as
    | { status: string; rejection?: { code: string; message: string } }
    | undefined

describe('issue 11 — wedges and bricked start-ups', () => {
  it('case 1 (async projection): a projection upgrade while a local command is pending still opens the database', async () => {
    const server = new MemorySyncServer()
    const name = freshName('case1-async')
    const v1 = syncClient(failureDomain({ counts: { mode: 'async', version: 1 } }), server, { name })
    const r = await v1.execute('counter.inc', { id: 'x', input: {} })
    await v1.whenProcessed(r.events[0]?.position ?? 0)
    expect(await v1.query('counts.byId', 'x')).toMatchObject({ n: 1 })
    await v1.close() // before syncing: the command is pending

    const v2 = syncClient(failureDomain({ counts: { mode: 'async', version: 2 } }), server, { name })
    await expect(v2.runtime.ready).resolves.toBeUndefined()
    await v2.whenProcessed(r.events[0]?.position ?? 0)
    expect(await v2.query('counts.byId', 'x')).toMatchObject({ n: 1, applied: 1 })
    await v2.syncNow()
    expect(server.log.map((e) => e.id)).toEqual([r.events[0]?.id])
    await vi.waitFor(() => expect(v2.runtime.status.get().pending).toBe(0))
    await v2.close()
  })

  it('case 1 (inline projection, bumped twice): a second upgrade with a pending command still opens the database', async () => {
    const server = new MemorySyncServer()
    const name = freshName('case1-inline')
    const v1 = syncClient(failureDomain({ counts: { version: 1 } }), server, { name })
    const r = await v1.execute('counter.inc', { id: 'x', input: {} })
    await v1.close()
    const v2 = syncClient(failureDomain({ counts: { version: 2 } }), server, { name })
    await expect(v2.runtime.ready).resolves.toBeUndefined()
    await v2.close()
    const v3 = syncClient(failureDomain({ counts: { version: 3 } }), server, { name })
    await expect(v3.runtime.ready).resolves.toBeUndefined()
    expect(await v3.query('counts.byId', 'x')).toMatchObject({ n: 1, applied: 1 })
    // Someone else's event on the same stream arrives: the pending command is rolled back and re-run, exactly.
    const other = syncClient(failureDomain({ counts: { version: 3 } }), server)
    await other.execute('counter.inc', { id: 'x', input: { by: 10 } })
    await other.syncNow()
    await v3.syncNow()
    expect(server.log).toHaveLength(2)
    expect(server.log.some((e) => e.id === r.events[0]?.id)).toBe(true)
    expect(await v3.query('counts.byId', 'x')).toMatchObject({ n: 11, applied: 2 })
    await vi.waitFor(() => expect(v3.runtime.status.get().pending).toBe(0))
    await v3.close()
    await other.close()
  })

  it('case 2: one pulled event a projection cannot apply (unique index) is quarantined; sync goes on for every client', async () => {
    const server = new MemorySyncServer()
    const domain = failureDomain()
    const a = syncClient(domain, server)
    const b = syncClient(domain, server)
    // Both register the handle 'ann' offline.
    await a.execute('user.register', { id: 'u1', input: { handle: 'ann' } })
    await b.execute('user.register', { id: 'u2', input: { handle: 'ann' } })
    await a.syncNow()
    await b.syncNow()
    await a.syncNow()
    const c = syncClient(domain, server) // a fresh third client
    await c.syncNow()
    expect(server.log).toHaveLength(2)
    const second = server.log[1]
    for (const client of [a, b, c]) {
      // The log converges to the server's.
      expect(await confirmedIds(client)).toEqual(server.log.map((e) => e.id))
      expect(client.runtime.status.get().lastError?.code).not.toBe('NETWORK')
      await vi.waitFor(() => expect(client.runtime.status.get().pending).toBe(0))
      // The failure is isolated to that event and reported.
      expect(quarantinedOf(client)).toEqual([
        expect.objectContaining({
          projection: 'handles',
          eventId: second?.id,
          stream: second?.stream,
          type: 'Registered',
          code: expect.any(String),
          message: expect.any(String),
        }),
      ])
      expect(await client.query('handles.all')).toEqual([{ id: 'u1', handle: 'ann', space: 'default' }])
    }
    // Later syncs keep working, for everyone.
    await b.execute('user.register', { id: 'u3', input: { handle: 'bob' } })
    await b.syncNow()
    for (const client of [a, c]) {
      await client.syncNow()
      expect(await client.query('handles.all')).toEqual([
        { id: 'u1', handle: 'ann', space: 'default' },
        { id: 'u3', handle: 'bob', space: 'default' },
      ])
      expect(client.runtime.status.get().lastError?.code).not.toBe('NETWORK')
    }
    for (const client of [a, b, c]) await client.close()
  })

  describe('case 3: a push the server refuses for good becomes a durable rejection; pulls go on', () => {
    const refusals = [
      { code: 'INVALID_EVENT_DATA', status: 422 },
      { code: 'UNKNOWN_EVENT_TYPE', status: 422 },
      { code: 'FORBIDDEN', status: 403 },
    ] as const
    for (const { code } of refusals) {
      it(`case 3: a push the server refuses for good (${code}) rejects that command only`, async () => {
        const server = new MemorySyncServer({
          refuse: (e) => (e.data.text === 'refused' ? { code, message: `refused: ${code}` } : undefined),
        })
        const domain = failureDomain()
        const counted = countingTransport(server)
        const a = syncClient(domain, server, { sync: { transport: counted.transport } })
        const b = syncClient(domain, server)
        const seen: RejectedCommand[] = []
        a.onRejected((r) => seen.push(r))
        await a.execute('note.write', { id: 'n1', input: { text: 'first' } })
        const bad = await a.execute('note.write', { id: 'n2', input: { text: 'refused' } })
        await a.execute('note.write', { id: 'n3', input: { text: 'after' } })
        await b.execute('note.write', { id: 'n4', input: { text: 'theirs' } })
        await b.syncNow()
        await a.syncNow().catch(() => {})
        await a.syncNow() // at the latest the next round succeeds
        // Everything else was pushed, and the other client's event arrived.
        expect(server.log.map((e) => e.data.text).sort()).toEqual(['after', 'first', 'theirs'])
        expect(await a.query('notes.texts')).toEqual(['after', 'first', 'theirs'])
        expect(await confirmedIds(a)).toEqual(server.log.map((e) => e.id))
        // The refused command is a durable rejection with the server's code.
        await vi.waitFor(() => expect(a.runtime.status.get().pending).toBe(0))
        await vi.waitFor(() =>
          expect(a.runtime.status.get().rejected).toEqual([
            expect.objectContaining({ commandId: bad.commandId, path: 'note.write', code }),
          ]),
        )
        await vi.waitFor(() => expect(seen).toEqual([expect.objectContaining({ commandId: bad.commandId, code })]))
        expect(await commandStatus(a, bad.commandId)).toMatchObject({ status: 'rejected', rejection: { code } })
        expect(counted.pushes.length).toBeLessThanOrEqual(6)
        await b.syncNow()
        expect(await b.query('notes.texts')).toEqual(['after', 'first', 'theirs'])
        await a.close()
        await b.close()
      })
    }

    it('case 3: an event id the server already holds with other content (409 ID_REUSED) rejects that command only', async () => {
      const server = new MemorySyncServer()
      const domain = failureDomain()
      const a = syncClient(domain, server, { newId: idsThen(['cmd-a', 'same-event-id'], 'a') })
      const b = syncClient(domain, server, { newId: idsThen(['cmd-b', 'same-event-id'], 'b') })
      await a.execute('note.write', { id: 'n1', input: { text: 'from a' } })
      await a.syncNow()
      await b.execute('note.write', { id: 'n2', input: { text: 'from b' } })
      await b.execute('note.write', { id: 'n3', input: { text: 'b again' } })
      await b.syncNow().catch(() => {})
      await b.syncNow()
      expect(server.log.map((e) => e.data.text)).toEqual(['from a', 'b again'])
      await vi.waitFor(() =>
        expect(b.runtime.status.get().rejected).toEqual([
          expect.objectContaining({ commandId: 'cmd-b', path: 'note.write', code: 'ID_REUSED' }),
        ]),
      )
      expect(await commandStatus(b, 'cmd-b')).toMatchObject({ status: 'rejected', rejection: { code: 'ID_REUSED' } })
      expect(await b.query('notes.texts')).toEqual(['b again', 'from a'])
      expect(await confirmedIds(b)).toEqual(server.log.map((e) => e.id))
      await vi.waitFor(() => expect(b.runtime.status.get().pending).toBe(0))
      await a.close()
      await b.close()
    })

    it('case 3: a single command larger than any batch (413) is rejected after a bounded number of pushes', async () => {
      const server = new MemorySyncServer({ maxBatchBytes: 4000 })
      const domain = failureDomain()
      const counted = countingTransport(server, 50)
      const a = syncClient(domain, server, { sync: { transport: counted.transport } })
      const b = syncClient(domain, server)
      await b.execute('note.write', { id: 'theirs', input: { text: 'theirs' } })
      await b.syncNow()
      for (let i = 0; i < 4; i++) await a.execute('note.write', { id: `small${i}`, input: { text: `small ${i}` } })
      const big = await a.execute('note.writeMany', {
        id: 'big',
        input: { texts: ['x'.repeat(1500), 'y'.repeat(1500), 'z'.repeat(1500)] },
      })
      await a.execute('note.write', { id: 'last', input: { text: 'last' } })
      await a.syncNow().catch(() => {})
      await a.syncNow()
      expect(counted.pushes.length).toBeLessThanOrEqual(20)
      expect(server.log.map((e) => e.data.text).sort()).toEqual([
        'last',
        'small 0',
        'small 1',
        'small 2',
        'small 3',
        'theirs',
      ])
      await vi.waitFor(() =>
        expect(a.runtime.status.get().rejected).toEqual([
          expect.objectContaining({ commandId: big.commandId, path: 'note.writeMany', code: 'PAYLOAD_TOO_LARGE' }),
        ]),
      )
      expect(await a.query('notes.texts')).toEqual(['last', 'small 0', 'small 1', 'small 2', 'small 3', 'theirs'])
      await vi.waitFor(() => expect(a.runtime.status.get().pending).toBe(0))
      await a.close()
      await b.close()
    })
  })

  it('case 4: a throwing async projection quarantines the event, reports it, and never bricks the next start', async () => {
    const name = freshName('case4')
    const domain = failureDomain({ notes: { mode: 'async', poisonThrows: true } })
    const a = syncClient(domain, new MemorySyncServer(), { name })
    await a.execute('note.write', { id: 'n1', input: { text: 'before' } })
    const poison = await a.execute('note.write', { id: 'n2', input: { text: 'poison' } })
    const last = await a.execute('note.write', { id: 'n3', input: { text: 'after' } })
    await a.whenProcessed(last.events[0]?.position ?? 0)
    await vi.waitFor(() =>
      expect(quarantinedOf(a)).toEqual([
        expect.objectContaining({
          projection: 'notes',
          eventId: poison.events[0]?.id,
          stream: 'note:n2',
          type: 'Written',
          position: poison.events[0]?.position,
          message: expect.stringContaining('notes projection refuses poison'),
        }),
      ]),
    )
    // The rest of the log moved on.
    expect(await a.query('notes.texts')).toEqual(['after', 'before'])
    await a.close()

    const again = syncClient(domain, new MemorySyncServer(), { name })
    await expect(again.runtime.ready).resolves.toBeUndefined()
    const more = await again.execute('note.write', { id: 'n4', input: { text: 'later' } })
    await again.whenProcessed(more.events[0]?.position ?? 0)
    expect(await again.query('notes.texts')).toEqual(['after', 'before', 'later'])
    await vi.waitFor(() => expect(quarantinedOf(again)?.map((q) => q.eventId)).toEqual([poison.events[0]?.id]))
    await again.close()
  })
})
