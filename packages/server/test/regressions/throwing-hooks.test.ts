// Review (issue 15): a domain schema or authorizeEvent that throws an Error gets a JSON 500 INTERNAL (fine). One
// that throws anything else (a string, a plain object, undefined: common in hand-written validators) escapes
// Hono's onError (it only handles `instanceof Error`): the client gets a 500 with an EMPTY body (not the JSON
// `{ code, message }` every error is documented to have) and `onError` is never called. The process survives.
import { afterEach, describe, expect, it } from 'vitest'
import type { EventAuthorizer } from '../../src/refusal.js'
import { type RunningServer, type StartServerOptions, startServer } from '../../src/start.js'
import { createMemoryStorage } from '../../src/storage/memory.js'

const running: RunningServer[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()))
})

const schemaThrowing = (thrown: () => unknown, async: boolean) => ({
  '~standard': {
    version: 1,
    vendor: 'review',
    validate: async
      ? async () => {
          throw thrown()
        }
      : () => {
          throw thrown()
        },
  },
})
const domainWith = (schema: unknown) =>
  ({
    aggregates: { card: { name: 'card', events: { CardAdded: { version: 1, schema } } } },
    projections: {},
    reactors: {},
  }) as never

const thrown = {
  'a string': () => 'boom',
  'a plain object': () => ({ message: 'boom' }),
  undefined: () => undefined,
}

const cases: [string, StartServerOptions][] = []
for (const [what, make] of Object.entries(thrown)) {
  cases.push([`schema validator throws ${what}`, { domain: domainWith(schemaThrowing(make, false)) }])
  cases.push([`async schema validator rejects with ${what}`, { domain: domainWith(schemaThrowing(make, true)) }])
  const hook: EventAuthorizer = async () => {
    throw make()
  }
  cases.push([`authorizeEvent rejects with ${what}`, { authorizeEvent: hook }])
}

describe('review: hooks that throw', () => {
  it.each(cases)('%s: a JSON error answer, and the server keeps serving', async (_, options) => {
    const server = await startServer({
      port: 0,
      storage: createMemoryStorage(),
      rateLimit: false,
      onError: () => {},
      ...options,
    })
    running.push(server)
    const res = await fetch(`${server.url}/v1/spaces/s/push`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        clientId: 'c',
        events: [{ id: 'e1', stream: 'card:1', version: 1, type: 'CardAdded', data: {} }],
      }),
    })
    const text = await res.text()
    let body: unknown
    try {
      body = JSON.parse(text)
    } catch {
      body = text
    }
    expect(res.status).toBeGreaterThanOrEqual(400)
    expect(body, `status ${res.status}`).toMatchObject({ code: expect.any(String), message: expect.any(String) })
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200)
  })
})
