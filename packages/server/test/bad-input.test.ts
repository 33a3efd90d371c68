import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RunningServer, startServer } from '../src/start.js'
import { canonicalJson } from '../src/storage/plan.js'
import { ev, get, pullAll, push, tempDir } from './helpers.js'

// Input that JSON accepts but that would not be stored as sent (DESIGN §4: nothing malformed is ever stored).

const tmp = tempDir()
let server: RunningServer
beforeAll(async () => {
  server = await startServer({ port: 0, db: `${tmp.dir}/input.db`, rateLimit: false, onError: () => {} })
})
afterAll(async () => {
  await server.close()
  tmp.cleanup()
})

/** A push body with one event whose `data` (or `meta`) is given as raw JSON text. */
const rawEvent = (field: 'data' | 'meta', json: string) => {
  const event = ev('card:1', 1, { title: 'x' })
  const body = JSON.stringify(push([{ ...event, [field]: { placeholder: 0 } }]))
  return body.replace('{"placeholder":0}', json)
}

interface Case {
  name: string
  body: string | Uint8Array
  /** `none` sends no Content-Type at all. */
  contentType?: string
  status: number
  code: string
  reason?: string
}

const utf8 = (text: string) => new TextEncoder().encode(text)
const withBytes = (text: string, marker: string, bytes: number[]) => {
  const [before, after] = text.split(marker) as [string, string]
  return new Uint8Array([...utf8(before), ...bytes, ...utf8(after)])
}

const cases: Case[] = [
  {
    name: '__proto__ key in data',
    body: rawEvent('data', '{"__proto__":{"a":1}}'),
    status: 400,
    code: 'BAD_REQUEST',
    reason: 'FORBIDDEN_KEY',
  },
  {
    name: 'nested __proto__ key',
    body: rawEvent('data', '{"a":[{"__proto__":null}]}'),
    status: 400,
    code: 'BAD_REQUEST',
    reason: 'FORBIDDEN_KEY',
  },
  {
    name: '__proto__ key in meta',
    body: rawEvent('meta', '{"__proto__":{}}'),
    status: 400,
    code: 'BAD_REQUEST',
    reason: 'FORBIDDEN_KEY',
  },
  {
    name: 'invalid UTF-8 in a string',
    body: withBytes(rawEvent('data', '{"title":"MARK"}'), 'MARK', [0xc3, 0x28]),
    status: 400,
    code: 'BAD_REQUEST',
    reason: 'INVALID_UTF8',
  },
  {
    name: 'a lone UTF-8 continuation byte',
    body: withBytes(rawEvent('data', '{"title":"MARK"}'), 'MARK', [0x80]),
    status: 400,
    code: 'BAD_REQUEST',
    reason: 'INVALID_UTF8',
  },
  {
    name: '1e999 (would be stored as null)',
    body: rawEvent('data', '{"n":1e999}'),
    status: 400,
    code: 'BAD_REQUEST',
    reason: 'NON_FINITE_NUMBER',
  },
  {
    name: '-1e999 in meta',
    body: rawEvent('meta', '{"n":-1e999}'),
    status: 400,
    code: 'BAD_REQUEST',
    reason: 'NON_FINITE_NUMBER',
  },
  {
    name: 'integer beyond 2^53',
    body: rawEvent('data', '{"n":9007199254740993}'),
    status: 400,
    code: 'BAD_REQUEST',
    reason: 'UNSAFE_INTEGER',
  },
  {
    name: 'negative integer beyond 2^53',
    body: rawEvent('data', '{"a":[-9007199254740993]}'),
    status: 400,
    code: 'BAD_REQUEST',
    reason: 'UNSAFE_INTEGER',
  },
  {
    name: '-0 (would be stored as 0)',
    body: rawEvent('data', '{"n":-0}'),
    status: 400,
    code: 'BAD_REQUEST',
    reason: 'NEGATIVE_ZERO',
  },
  {
    name: '-0.0 deep inside',
    body: rawEvent('data', '{"a":{"b":[1,-0.0]}}'),
    status: 400,
    code: 'BAD_REQUEST',
    reason: 'NEGATIVE_ZERO',
  },
  {
    name: 'push as text/plain (no CORS preflight)',
    body: JSON.stringify(push([ev('card:1', 1)])),
    contentType: 'text/plain',
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
  },
  {
    name: 'push without a content type',
    body: JSON.stringify(push([ev('card:1', 1)])),
    contentType: 'none',
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
  },
  {
    name: 'push as form data',
    body: 'a=1',
    contentType: 'application/x-www-form-urlencoded',
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
  },
  {
    name: 'push as application/jsonp',
    body: JSON.stringify(push([ev('card:1', 1)])),
    contentType: 'application/jsonp',
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
  },
]

describe('input that would not be stored as sent', () => {
  it.each(cases)(
    '$name → $status $code $reason',
    async ({ body, contentType = 'application/json', status, code, reason }) => {
      const headers: Record<string, string> = {}
      if (contentType !== 'none') headers['content-type'] = contentType
      // fetch adds text/plain to a string body without a content type: send bytes to send none at all
      const payload = typeof body === 'string' && contentType === 'none' ? utf8(body) : body
      const res = await fetch(`${server.url}/v1/spaces/input/push`, { method: 'POST', headers, body: payload })
      expect(res.status).toBe(status)
      const json = (await res.json()) as { code: string; details?: { reason?: string; path?: string } }
      expect(json.code).toBe(code)
      if (reason) expect(json.details?.reason).toBe(reason)
    },
  )

  it('lists every malformed event that has an id in refused, with its command, so the rest can be pushed', async () => {
    const fine = ev('card:m', 1, { title: 'ok' })
    const negativeZero = { ...ev('card:m', 2), meta: { commandId: 'cmd-zero' } }
    const huge = { ...ev('card:n', 1, { pad: 'x'.repeat(70_000) }), meta: { commandId: 'cmd-huge' } }
    const body = JSON.stringify(push([fine, negativeZero, huge])).replace('"data":{}', '"data":{"n":-0}')
    const res = await fetch(`${server.url}/v1/spaces/input-batch/push`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    })
    expect(res.status).toBe(400)
    expect(await res.json()).toMatchObject({
      code: 'BAD_REQUEST',
      details: { reason: 'NEGATIVE_ZERO' },
      refused: [
        {
          id: negativeZero.id,
          commandId: 'cmd-zero',
          code: 'BAD_REQUEST',
          details: { reason: 'NEGATIVE_ZERO', path: 'events[1].data.n' },
        },
        { id: huge.id, commandId: 'cmd-huge', code: 'PAYLOAD_TOO_LARGE' },
      ],
    })
    // an event without a usable id cannot be named: the batch fails as a whole
    const anonymous = await fetch(`${server.url}/v1/spaces/input-batch/push`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(push([fine, { ...negativeZero, id: 'not an id!' }])),
    })
    expect(anonymous.status).toBe(400)
    expect(((await anonymous.json()) as { refused?: unknown }).refused).toBeUndefined()
    expect(await pullAll(server.url, 'input-batch')).toEqual([])
  })

  it('stored none of them, and accepts the same values in a storable form', async () => {
    expect(await pullAll(server.url, 'input')).toEqual([])
    const storable = { proto: { a: 1 }, n: 1.5e-300, big: '9007199254740993', zero: 0, text: 'é ✓ 😀' }
    const event = ev('card:ok', 1, storable)
    const res = await fetch(`${server.url}/v1/spaces/input/push`, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify(push([event])),
    })
    expect(res.status).toBe(200)
    expect((await pullAll(server.url, 'input'))[0]?.data).toEqual(storable)
    expect((await get(`${server.url}/healthz`)).status).toBe(200)
  })

  it('the id-reuse check sees __proto__ content (a retry with other content is not an identical retry)', () => {
    const a = JSON.parse('{"__proto__":{"role":"user"}}') as unknown
    const b = JSON.parse('{"__proto__":{"role":"admin"}}') as unknown
    expect(canonicalJson(a)).not.toBe(canonicalJson(b))
    expect(canonicalJson(a)).toBe('{"__proto__":{"role":"user"}}')
  })
})
