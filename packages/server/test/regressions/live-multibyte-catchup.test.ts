// Review (issue 15): a live catch-up ends early when events hold non-ASCII text. Storage cuts a page at
// `maxPageBytes` UTF-8 bytes, but LiveSession.#catchUp decides "this was the last page" by the UTF-16 *length* of
// the message it sent (`page.length < pageSize && bytes < maxPageBytes`). With CJK text (3 UTF-8 bytes per UTF-16
// unit) a byte-full page looks short, the loop stops, and the client is left behind head with no further message
// until someone else commits in the space.
import type { WireEvent } from '@cairn/core/protocol'
import { afterEach, describe, expect, it } from 'vitest'
import { type RunningServer, startServer } from '../../src/start.js'
import { createMemoryStorage } from '../../src/storage/memory.js'
import { openLive, post, waitFor } from '../helpers.js'

const running: RunningServer[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()))
})

describe('review: live catch-up of multi-byte events', () => {
  it('sends every event up to head after the cursor, whatever the text', async () => {
    const server = await startServer({
      port: 0,
      storage: createMemoryStorage(),
      rateLimit: false,
      limits: { maxPageBytes: 16 * 1024 },
    })
    running.push(server)
    const text = '漢'.repeat(2000) // 2,000 UTF-16 units, 6,000 UTF-8 bytes
    const events: WireEvent[] = Array.from({ length: 20 }, (_, i) => ({
      id: `cjk-${i}`,
      stream: 'doc:1',
      version: i + 1,
      type: 'Written',
      data: { text },
    }))
    expect((await post(`${server.url}/v1/spaces/s/push`, { clientId: 'c', events })).status).toBe(200)

    const live = await openLive(`${server.url}/v1/spaces/s/live?after=0`)
    try {
      await waitFor(() => live.events().length >= 20, 3000, `all 20 events (got ${live.events().length})`).catch(
        () => undefined,
      )
      expect(live.events().map((e) => e.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1))
    } finally {
      live.close()
    }
  })
})
