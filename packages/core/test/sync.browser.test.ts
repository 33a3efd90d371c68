import type { Kanban } from '@cairn/example-kanban'
import { describe, expect, inject, it } from 'vitest'
import type { CairnClient, RuntimeStatus } from '../src/client/types'
import { seed, syncedKanbanClient, uniqueDb, waitFor } from './browser-helpers'

const url = inject('syncUrl')

async function serverLog(space: string): Promise<{ id: string; type: string }[]> {
  const response = await fetch(`${url}/v1/spaces/${space}/pull?after=0&limit=1000`)
  return ((await response.json()) as { events: { id: string; type: string }[] }).events
}

function track(client: CairnClient<Kanban>): { current: RuntimeStatus | undefined } {
  const box: { current: RuntimeStatus | undefined } = { current: undefined }
  client.subscribeStatus((s) => {
    box.current = s
  })
  return box
}

describe('sync in real Chromium against a real server', () => {
  it('two tabs on one database: one syncs, the other takes over when it closes, nothing pending is lost', async () => {
    const db = uniqueDb('tabs')
    const space = `tabs-${crypto.randomUUID().slice(0, 8)}`
    const a = syncedKanbanClient(db, { url, space })
    const statusA = track(a)
    await waitFor(() => statusA.current?.leader === true)
    const b = syncedKanbanClient(db, { url, space })
    const statusB = track(b)
    await waitFor(() => statusB.current?.ready === true)
    expect(statusB.current?.leader).toBe(false)

    // A command in the follower tab reaches the server through the leader.
    await seed(b)
    await waitFor(async () => (await serverLog(space)).length === 4)
    await waitFor(() => statusB.current?.pending === 0 && statusB.current?.connected === true)

    // Close the leader: the other tab takes over, and its pending commands still reach the server.
    await a.close()
    await waitFor(() => statusB.current?.leader === true, 3000)
    await b.execute('board.addCard', { id: 'b1', input: { cardId: 'c1', title: 'after handover', column: 'todo' } })
    await waitFor(async () => (await serverLog(space)).some((e) => e.type === 'CardAdded'))
    await waitFor(() => statusB.current?.pending === 0)
    await b.close()
  })

  it("client A's command reaches client B's read model through the server", async () => {
    const space = `ab-${crypto.randomUUID().slice(0, 8)}`
    const a = syncedKanbanClient(uniqueDb('a'), { url, space })
    const b = syncedKanbanClient(uniqueDb('b'), { url, space })
    await seed(a)
    let titles: string[] = []
    b.subscribe('cards.onBoard', 'b1', (rows) => {
      titles = rows.map((r) => r.title)
    })
    await a.execute('board.addCard', { id: 'b1', input: { cardId: 'x', title: 'from A', column: 'todo' } })
    await waitFor(() => titles.includes('from A'))
    await a.close()
    await b.close()
  })
})
