/**
 * An app upgrade meets pending offline work (issue 11, case 1), in real Chromium against a real cairn-server:
 * version 1 of the worker runs commands with sync paused and closes; version 2 (both projections bumped) opens
 * the same database: it must open, rebuild, keep the pending work, and push it once sync resumes.
 */
import { describe, expect, inject, it } from 'vitest'
import type { CairnClient, RuntimeStatus } from '../src/client/types'
import { createClient } from '../src/client/worker-client'
import { uniqueDb, waitFor } from './browser-helpers'
import type { NoteRow, UpgradeDomain } from './fixtures/upgrade-domain'

const url = inject('syncUrl')

/** Starts version 1 or 2 of the app's worker on database `db`, syncing with `space` on the test server. */
function openApp(version: 1 | 2, db: string, space: string): CairnClient<UpgradeDomain> {
  const name = JSON.stringify({ db, sync: { url, space } })
  const worker =
    version === 1
      ? new Worker(new URL('./fixtures/upgrade-v1.worker.ts', import.meta.url), { type: 'module', name })
      : new Worker(new URL('./fixtures/upgrade-v2.worker.ts', import.meta.url), { type: 'module', name })
  return createClient<UpgradeDomain>(worker)
}

function track(client: CairnClient<UpgradeDomain>): { current: RuntimeStatus | undefined } {
  const box: { current: RuntimeStatus | undefined } = { current: undefined }
  client.subscribeStatus((s) => {
    box.current = s
  })
  return box
}

/** The space's log as the server's pull endpoint answers it. */
async function serverLog(space: string): Promise<{ id: string; type: string; stream: string }[]> {
  const response = await fetch(`${url}/v1/spaces/${space}/pull?after=0&limit=1000`)
  expect(response.status).toBe(200)
  return ((await response.json()) as { events: { id: string; type: string; stream: string }[] }).events
}

describe('upgrading the app while work is pending (real Chromium, real server)', () => {
  it('opens with the new projection versions, rebuilds, and the pending work reaches the server', async () => {
    const db = uniqueDb('upgrade')
    const space = `upgrade-${crypto.randomUUID().slice(0, 8)}`

    // Version 1, sync paused ("work offline"): the commands stay pending.
    const v1 = openApp(1, db, space)
    const status1 = track(v1)
    await waitFor(() => status1.current?.ready === true, 10_000)
    await v1.pauseSync()
    await waitFor(() => status1.current?.paused === true)
    const results = [
      await v1.execute('note.add', { id: 'n1', input: { text: 'one' } }),
      await v1.execute('note.add', { id: 'n2', input: { text: 'two' } }),
      await v1.execute('note.edit', { id: 'n1', input: { text: 'one, edited' } }),
    ]
    const pendingIds = results.flatMap((r) => r.events.map((e) => e.id))
    await v1.whenProcessed(Math.max(...results.flatMap((r) => r.events.map((e) => e.position))))
    await waitFor(() => status1.current?.pending === 3)
    expect(await serverLog(space)).toEqual([])
    await v1.close()

    // Version 2 of the app opens the same database: it must open and rebuild both projections from the log.
    const v2 = openApp(2, db, space)
    const status2 = track(v2)
    const opened = await v2.find('notes').then(
      (rows) => ({ ok: true as const, rows }),
      (error: unknown) => ({ ok: false as const, error: String((error as Error)?.message ?? error) }),
    )
    if (!opened.ok) throw new Error(`version 2 did not open the database holding pending work: ${opened.error}`)
    await waitFor(() => status2.current?.ready === true && status2.current.rebuilding === null, 10_000)
    expect(status2.current?.lastError ?? null).toBeNull()
    const rows = (await v2.find('notes')) as NoteRow[]
    expect(rows).toEqual([
      { id: 'n1', text: 'one, edited', edits: 1, upper: 'ONE, EDITED', space },
      { id: 'n2', text: 'two', edits: 0, upper: 'TWO', space },
    ])
    await v2.whenProcessed(status2.current?.position ?? 0)
    expect(await v2.find('counts')).toEqual([{ id: 'all', events: 3, space }])
    // Still paused (persisted), still pending; and the new version works on top of it.
    expect(status2.current?.paused).toBe(true)
    expect(status2.current?.pending).toBe(3)
    const after = await v2.execute('note.add', { id: 'n3', input: { text: 'three' } })
    pendingIds.push(...after.events.map((e) => e.id))

    // Resume: every pending event arrives at the server, in order, once; the client ends with nothing pending.
    await v2.resumeSync()
    await waitFor(async () => (await serverLog(space)).length >= pendingIds.length, 10_000)
    const log = await serverLog(space)
    expect(log.map((e) => e.id)).toEqual(pendingIds)
    expect(log.map((e) => `${e.stream} ${e.type}`)).toEqual([
      'note:n1 NoteAdded',
      'note:n2 NoteAdded',
      'note:n1 NoteEdited',
      'note:n3 NoteAdded',
    ])
    await waitFor(() => status2.current?.pending === 0 && status2.current.lastError === null, 10_000)
    expect(await v2.find('notes')).toHaveLength(3)
    await v2.close()
  })
})
