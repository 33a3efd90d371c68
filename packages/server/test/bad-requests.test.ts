import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RunningServer, startServer } from '../src/start.js'
import { ev, get, pullAll, push, tempDir } from './helpers.js'

const tmp = tempDir()
let server: RunningServer
beforeAll(async () => {
  server = await startServer({ port: 0, db: `${tmp.dir}/bad.db`, rateLimit: false, onError: () => {} })
})
afterAll(async () => {
  await server.close()
  tmp.cleanup()
})

const valid = () => ev('card:1', 1, { title: 'x' })
const withEvent = (patch: Record<string, unknown>) => JSON.stringify(push([{ ...valid(), ...patch }]))
const without = (key: string) => {
  const e: Record<string, unknown> = { ...valid() }
  delete e[key]
  return JSON.stringify(push([e as never]))
}
const deep = (depth: number): Record<string, unknown> => (depth === 0 ? {} : { a: deep(depth - 1) })

interface Case {
  name: string
  method?: string
  path?: string
  body?: string
  headers?: Record<string, string>
  status: number
  code: string
}

const PUSH = '/v1/spaces/bad/push'
const cases: Case[] = [
  { name: 'malformed JSON', body: '{"clientId":', status: 400, code: 'BAD_REQUEST' },
  { name: 'empty body', body: '', status: 400, code: 'BAD_REQUEST' },
  { name: 'body is an array', body: '[]', status: 400, code: 'BAD_REQUEST' },
  { name: 'body is null', body: 'null', status: 400, code: 'BAD_REQUEST' },
  { name: 'body is a string', body: '"push"', status: 400, code: 'BAD_REQUEST' },
  { name: 'missing clientId', body: JSON.stringify({ events: [valid()] }), status: 400, code: 'BAD_REQUEST' },
  {
    name: 'clientId is a number',
    body: JSON.stringify({ clientId: 7, events: [valid()] }),
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'empty clientId',
    body: JSON.stringify({ clientId: '', events: [valid()] }),
    status: 400,
    code: 'BAD_REQUEST',
  },
  { name: 'missing events', body: JSON.stringify({ clientId: 'c' }), status: 400, code: 'BAD_REQUEST' },
  {
    name: 'events is an object',
    body: JSON.stringify({ clientId: 'c', events: {} }),
    status: 400,
    code: 'BAD_REQUEST',
  },
  { name: 'empty batch', body: JSON.stringify(push([])), status: 400, code: 'BAD_REQUEST' },
  { name: 'event is a number', body: JSON.stringify({ clientId: 'c', events: [1] }), status: 400, code: 'BAD_REQUEST' },
  { name: 'missing id', body: without('id'), status: 400, code: 'BAD_REQUEST' },
  { name: 'id with bad characters', body: withEvent({ id: 'a b/c' }), status: 400, code: 'BAD_REQUEST' },
  { name: 'id too long', body: withEvent({ id: 'x'.repeat(101) }), status: 400, code: 'BAD_REQUEST' },
  { name: 'version 0', body: withEvent({ version: 0 }), status: 400, code: 'BAD_REQUEST' },
  { name: 'negative version', body: withEvent({ version: -1 }), status: 400, code: 'BAD_REQUEST' },
  { name: 'fractional version', body: withEvent({ version: 1.5 }), status: 400, code: 'BAD_REQUEST' },
  { name: 'version as a string', body: withEvent({ version: '1' }), status: 400, code: 'BAD_REQUEST' },
  { name: 'version beyond safe integers', body: withEvent({ version: 2 ** 60 }), status: 400, code: 'BAD_REQUEST' },
  { name: 'empty stream', body: withEvent({ stream: '' }), status: 400, code: 'BAD_REQUEST' },
  { name: 'stream too long', body: withEvent({ stream: 's'.repeat(201) }), status: 400, code: 'BAD_REQUEST' },
  { name: 'stream with a NUL', body: withEvent({ stream: 'card:\u0000' }), status: 400, code: 'BAD_REQUEST' },
  {
    name: 'stream with a lone surrogate',
    body: withEvent({ stream: 'REPLACE' }).replace('REPLACE', '\\ud800'),
    status: 400,
    code: 'BAD_REQUEST',
  },
  { name: 'missing type', body: without('type'), status: 400, code: 'BAD_REQUEST' },
  { name: 'type too long', body: withEvent({ type: 't'.repeat(201) }), status: 400, code: 'BAD_REQUEST' },
  { name: 'missing data', body: without('data'), status: 400, code: 'BAD_REQUEST' },
  { name: 'data is an array', body: withEvent({ data: [1] }), status: 400, code: 'BAD_REQUEST' },
  { name: 'data is null', body: withEvent({ data: null }), status: 400, code: 'BAD_REQUEST' },
  { name: 'data is a string', body: withEvent({ data: 'x' }), status: 400, code: 'BAD_REQUEST' },
  { name: 'meta is an array', body: withEvent({ meta: [] }), status: 400, code: 'BAD_REQUEST' },
  { name: 'data nested too deep', body: withEvent({ data: deep(40) }), status: 400, code: 'BAD_REQUEST' },
  {
    name: 'oversized data',
    body: withEvent({ data: { big: 'x'.repeat(70_000) } }),
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
  },
  {
    name: 'batch of 1001 events',
    body: JSON.stringify(push(Array.from({ length: 1001 }, (_, i) => ev('card:big', i + 1)))),
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
  },
  {
    name: 'body over 1 MiB',
    body: JSON.stringify(
      push(Array.from({ length: 20 }, (_, i) => ev('card:huge', i + 1, { pad: 'x'.repeat(60_000) }))),
    ),
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
  },
  { name: 'wrong version for a new stream', body: withEvent({ version: 2 }), status: 409, code: 'CONFLICT' },
  {
    name: 'space with a dot',
    path: '/v1/spaces/bad.space/push',
    body: JSON.stringify(push([valid()])),
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'space too long',
    path: `/v1/spaces/${'s'.repeat(65)}/push`,
    body: JSON.stringify(push([valid()])),
    status: 400,
    code: 'BAD_REQUEST',
  },
  { name: 'space with encoded slash', path: '/v1/spaces/a%2Fb/pull', method: 'GET', status: 400, code: 'BAD_REQUEST' },
  { name: 'after is negative', method: 'GET', path: '/v1/spaces/bad/pull?after=-1', status: 400, code: 'BAD_REQUEST' },
  {
    name: 'after is not a number',
    method: 'GET',
    path: '/v1/spaces/bad/pull?after=abc',
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'after is fractional',
    method: 'GET',
    path: '/v1/spaces/bad/pull?after=1.5',
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'after is huge',
    method: 'GET',
    path: '/v1/spaces/bad/pull?after=99999999999999999999',
    status: 400,
    code: 'BAD_REQUEST',
  },
  { name: 'limit 0', method: 'GET', path: '/v1/spaces/bad/pull?limit=0', status: 400, code: 'BAD_REQUEST' },
  { name: 'limit over 1000', method: 'GET', path: '/v1/spaces/bad/pull?limit=1001', status: 400, code: 'BAD_REQUEST' },
  {
    name: 'limit not a number',
    method: 'GET',
    path: '/v1/spaces/bad/pull?limit=ten',
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'live after not a number',
    method: 'GET',
    path: '/v1/spaces/bad/live?after=x',
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'live Last-Event-ID not a number',
    method: 'GET',
    path: '/v1/spaces/bad/live',
    headers: { 'Last-Event-ID': 'nope' },
    status: 400,
    code: 'BAD_REQUEST',
  },
  { name: 'unknown route', method: 'GET', path: '/v2/anything', status: 404, code: 'NOT_FOUND' },
  { name: 'GET on push', method: 'GET', path: PUSH, status: 404, code: 'NOT_FOUND' },
  { name: 'DELETE on pull', method: 'DELETE', path: '/v1/spaces/bad/pull', status: 404, code: 'NOT_FOUND' },
  { name: 'POST on the root', path: '/', body: '{}', status: 404, code: 'NOT_FOUND' },
]

describe('bad requests', () => {
  it.each(cases)(
    '$name → $status $code',
    async ({ method = 'POST', path = PUSH, body, headers = {}, status, code }) => {
      const res = await fetch(`${server.url}${path}`, {
        method,
        headers: { 'content-type': 'application/json', ...headers },
        ...(body === undefined ? {} : { body }),
      })
      expect(res.status).toBe(status)
      expect(res.headers.get('content-type')).toContain('application/json')
      const json = (await res.json()) as { code: string; message: string }
      expect(json.code).toBe(code)
      expect(typeof json.message).toBe('string')
    },
  )

  it('stored nothing of any rejected request, and still serves', async () => {
    expect(cases.length).toBeGreaterThanOrEqual(25)
    expect(await pullAll(server.url, 'bad')).toEqual([])
    expect((await get(`${server.url}/healthz`)).status).toBe(200)
  })
})

describe('fuzzed push bodies', { timeout: 30_000 }, () => {
  const field = fc.oneof(fc.jsonValue(), fc.string(), fc.integer(), fc.constant(undefined))
  const eventish = fc.record(
    {
      id: fc.oneof(fc.uuid(), field),
      stream: fc.oneof(fc.constant('card:1'), field),
      version: fc.oneof(fc.constant(1), field),
      type: field,
      data: field,
      meta: field,
    },
    { requiredKeys: [] },
  )
  const body = fc.oneof(
    fc.string().map((s) => s),
    fc.jsonValue().map((v) => JSON.stringify(v)),
    fc
      .record({ clientId: field, events: fc.oneof(field, fc.array(eventish, { maxLength: 5 })) }, { requiredKeys: [] })
      .map((v) => JSON.stringify(v)),
    fc.array(eventish, { minLength: 1, maxLength: 5 }).map((events) => JSON.stringify({ clientId: 'fuzz', events })),
  )

  it('answers every random body with a JSON status and stores exactly what it accepted', async () => {
    const acceptedIds = new Set<string>()
    const allowed = new Set([200, 400, 409, 413, 422])
    await fc.assert(
      fc.asyncProperty(body, async (text) => {
        const res = await fetch(`${server.url}/v1/spaces/fuzz/push`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: text,
        })
        expect(allowed.has(res.status)).toBe(true)
        const json = (await res.json()) as { code?: string; accepted?: { id: string }[] }
        if (res.status === 200) for (const a of json.accepted ?? []) acceptedIds.add(a.id)
        else expect(typeof json.code).toBe('string')
      }),
      { numRuns: 400 },
    )
    const stored = await pullAll(server.url, 'fuzz')
    expect(new Set(stored.map((e) => e.id))).toEqual(acceptedIds)
    expect(stored.map((e) => e.seq)).toEqual(stored.map((_, i) => i + 1))
    expect((await get(`${server.url}/healthz`)).status).toBe(200)
  })
})
