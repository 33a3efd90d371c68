/**
 * End-to-end encrypted spaces in real Chromium: the page derives a key from a passphrase, hands the CryptoKey to
 * its worker (`joinSpace`), the worker keeps it in IndexedDB, seals what it pushes and opens what it pulls through a
 * real server. A second device with the passphrase reads everything; the server only ever holds envelopes.
 */
import { describe, expect, inject, it } from 'vitest'
import { keyFromPassphrase } from '../src/crypto/keys'
import { seed, syncedKanbanClient, uniqueDb, waitFor } from './browser-helpers'

const url = inject('syncUrl')

async function serverLog(space: string): Promise<{ type: string; data: Record<string, unknown> }[]> {
  const response = await fetch(`${url}/v1/spaces/${space}/pull?after=0&limit=1000`)
  return ((await response.json()) as { events: { type: string; data: Record<string, unknown> }[] }).events
}

describe('an encrypted space in real Chromium, through a real server', () => {
  it('the key crosses to the worker and is kept; the server holds envelopes; another device with the passphrase reads it', async () => {
    const space = `enc-${crypto.randomUUID().slice(0, 8)}`
    const passphrase = 'purple elephant sings at dawn'
    const key = await keyFromPassphrase(passphrase, { salt: `test/${space}` })
    const dbA = uniqueDb('enc-a')
    const a = syncedKanbanClient(dbA, { url, space })
    await a.joinSpace(space, { encryption: { keys: [key], hideTypes: true } })
    await seed(a)
    await a.execute('board.addCard', { id: 'b1', input: { cardId: 'c9', title: 'Top secret card', column: 'todo' } })
    await waitFor(async () => (await serverLog(space)).length === 5)
    const log = await serverLog(space)
    expect(log.every((e) => e.type === '$encrypted' && e.data.$cairn === 'enc1')).toBe(true)
    expect(JSON.stringify(log)).not.toContain('Top secret card')
    await a.close()

    // The key was kept: the same database, opened again without being given the key, still seals new events.
    const again = syncedKanbanClient(dbA, { url, space })
    await again.execute('board.addCard', { id: 'b1', input: { cardId: 'c10', title: 'after reload', column: 'todo' } })
    await waitFor(async () => (await serverLog(space)).length === 6)
    expect(JSON.stringify(await serverLog(space))).not.toContain('after reload')
    await again.close()

    // Another device, the same passphrase derived there: it reads everything.
    const b = syncedKanbanClient(uniqueDb('enc-b'), { url, space })
    await b.joinSpace(space, { encryption: { keys: [await keyFromPassphrase(passphrase, { salt: `test/${space}` })] } })
    let titles: string[] = []
    b.subscribe('cards.onBoard', 'b1', (rows) => {
      titles = rows.map((r) => r.title)
    })
    await waitFor(() => titles.includes('Top secret card') && titles.includes('after reload'))
    await b.close()
  })

  it('a device without the key reports KEY_MISSING and applies nothing until it is given the key', async () => {
    const space = `enc-${crypto.randomUUID().slice(0, 8)}`
    const key = await keyFromPassphrase('right', { salt: space, iterations: 1000 })
    const a = syncedKanbanClient(uniqueDb('enc-a'), { url, space })
    await a.joinSpace(space, { encryption: { keys: [key] } })
    await seed(a)
    await a.execute('board.addCard', { id: 'b1', input: { cardId: 'c1', title: 'hidden card', column: 'todo' } })
    await waitFor(async () => (await serverLog(space)).length === 5)
    await a.close()

    const c = syncedKanbanClient(uniqueDb('enc-c'), { url, space })
    await c.joinSpace(space, { encryption: { keys: [] } })
    let code: string | undefined
    c.subscribeStatus((s) => {
      code = s.spaces[space]?.lastError?.code
    })
    await waitFor(() => code === 'KEY_MISSING')
    expect(await c.query('cards.onBoard', 'b1')).toEqual([])
    await c.joinSpace(space, {
      encryption: { keys: [await keyFromPassphrase('right', { salt: space, iterations: 1000 })] },
    })
    await waitFor(async () => (await c.query('cards.onBoard', 'b1')).length > 0)
    await waitFor(() => code === undefined)
    await c.close()
  })
})
