// Review (issue 15): the authority's aggregate lookup (core findEventDefinition) indexes a plain object with the
// stream's prefix, and takes `stream.slice(0, indexOf(':'))`, so:
// - a stream named like an Object.prototype member (`__proto__:1`, `constructor:1`, `toString:1`) throws a
//   TypeError: 500 INTERNAL with a stack logged per request (log flooding), and a client retrying it forever;
// - a stream with no colon (`cardX`) is validated as the `card` aggregate (slice(0, -1)) and stored, though it
//   names no `<aggregate>:<id>` stream; a hook parsing streams differently then disagrees with the validator.
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { createSyncServer } from '../../src/app.js'
import { loadDomainModule } from '../../src/domain-module.js'
import { createMemoryStorage } from '../../src/storage/memory.js'

const FIXTURE = fileURLToPath(new URL('../fixtures/authority-domain.mjs', import.meta.url))

const pushOne = async (stream: string, type: string, data: Record<string, unknown>) => {
  const { domain } = await loadDomainModule(FIXTURE)
  const errors: unknown[] = []
  const sync = createSyncServer({
    storage: createMemoryStorage(),
    rateLimit: false,
    domain,
    onError: (e) => errors.push(e),
  })
  const res = await sync.fetch('http://cairn.test/v1/spaces/s/push', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ clientId: 'c', events: [{ id: 'e1', stream, version: 1, type, data }] }),
  })
  return { status: res.status, body: (await res.json()) as { code: string }, errors }
}

describe('review: stream names the authority mishandles', () => {
  it.each(['__proto__:1', 'constructor:1', 'toString:1', 'hasOwnProperty:1'])(
    'stream %s is refused as an unknown type (422), not a 500',
    async (stream) => {
      const res = await pushOne(stream, 'CardAdded', { title: 'x' })
      expect(res.errors).toEqual([])
      expect(res.status).toBe(422)
      expect(res.body.code).toBe('UNKNOWN_EVENT_TYPE')
    },
  )

  it.each([
    ['cardX', 'CardAdded', { title: 'x' }],
    ['boardX', 'ColumnAdded', { column: 'c' }],
  ])('stream %s (no colon) is not accepted as an event of an aggregate', async (stream, type, data) => {
    const res = await pushOne(stream, type, data)
    expect(res.status).toBe(422)
  })
})
