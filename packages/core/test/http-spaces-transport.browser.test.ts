/**
 * The multi-space HTTP transport in real Chromium against the real server of the browser project: a cross-origin
 * `POST /v1/pull` (CORS preflight included) and a `POST /v1/live` event stream read with the browser's fetch.
 */
import { describe, expect, inject, it } from 'vitest'
import { httpSpacesTransport } from '../src/sync/http-spaces-transport'
import type { SpacePage } from '../src/sync/transport'
import { waitFor } from './browser-helpers'

const url = inject('syncUrl')
const id = () => crypto.randomUUID()
const event = (stream: string, version: number) => ({ id: id(), stream, version, type: 'Happened', data: {} })
const seqs = (page: SpacePage | undefined) => (page && 'page' in page ? page.page.events.map((e) => e.seq) : page)

describe('httpSpacesTransport in real Chromium', () => {
  it('pulls two spaces in one request and gets live pokes for both on one stream', async () => {
    const [a, b] = [`multi-a-${id().slice(0, 8)}`, `multi-b-${id().slice(0, 8)}`]
    const transport = httpSpacesTransport({ url })
    await transport.push(a, { clientId: 'c1', events: [event('card:1', 1), event('card:1', 2)] })
    const pages = await transport.pull(
      [
        { space: a, after: 0 },
        { space: b, after: 0 },
      ],
      100,
    )
    expect(pages.map(seqs)).toEqual([[1, 2], []])

    const pokes: string[] = []
    const connected: boolean[] = []
    const close = transport.live!(
      [
        { space: a, after: 2 },
        { space: b, after: 0 },
      ],
      { onPoke: (space, head) => pokes.push(`${space}:${head}`), onConnected: (c) => connected.push(c) },
    )
    await waitFor(() => connected.length === 1)
    await transport.push(b, { clientId: 'c1', events: [event('card:2', 1)] })
    await transport.push(a, { clientId: 'c1', events: [event('card:1', 3)] })
    await waitFor(() => pokes.length === 2)
    expect(pokes).toEqual([`${b}:1`, `${a}:3`])
    close()
    expect(connected).toEqual([true])
  })
})
