import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { ErrorBody, JsonObject, WireEvent } from '@cairn/core/protocol'
import { kanban } from '@cairn/example-kanban'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createSyncServer } from '../src/app.js'
import { DomainModuleError, type LoadedDomain, loadDomainModule } from '../src/domain-module.js'
import { type RunningServer, type StartServerOptions, startServer } from '../src/start.js'
import { createMemoryStorage } from '../src/storage/memory.js'
import { ev, post, pullAll, push, tempDir } from './helpers.js'

const FIXTURE = fileURLToPath(new URL('./fixtures/authority-domain.mjs', import.meta.url))
const tmp = tempDir()
const running: RunningServer[] = []
let loaded: LoadedDomain
beforeAll(async () => {
  loaded = await loadDomainModule(FIXTURE)
})
const start = async (options: StartServerOptions = {}) => {
  const server = await startServer({ port: 0, storage: createMemoryStorage(), rateLimit: false, ...loaded, ...options })
  running.push(server)
  return server
}
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()))
})
afterAll(() => tmp.cleanup())

const TOKENS = 'adm=admin:*;ed=editor:*;view=viewer:*'
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` })
const event = (stream: string, type: string, data: Record<string, unknown>, meta?: Record<string, unknown>) => {
  const e: WireEvent = { ...ev(stream, 1, data), type }
  if (meta) e.meta = meta as JsonObject
  return e
}
const refusedOf = (body: Record<string, unknown>) => (body as unknown as ErrorBody).refused

describe('the server as the authority: domain validation', () => {
  it('refuses a batch with unknown types and invalid data, listing every refused event with its command', async () => {
    const { url } = await start()
    const batch = [
      event('card:1', 'CardAdded', { title: 'fine' }, { commandId: 'cmd-ok' }),
      event('card:2', 'CardExploded', {}, { commandId: 'cmd-unknown' }),
      event('card:3', 'CardAdded', { title: '' }, { commandId: 'cmd-invalid' }),
      event('nothing:4', 'CardAdded', { title: 'no such aggregate' }),
      event('card:5', 'CardAdded', { title: 42 }, { commandId: 7 }),
    ]
    const res = await post(`${url}/v1/spaces/s/push`, push(batch))
    expect(res.status).toBe(422)
    expect(res.body.code).toBe('UNKNOWN_EVENT_TYPE')
    expect(refusedOf(res.body)).toEqual([
      {
        id: batch[1]!.id,
        commandId: 'cmd-unknown',
        code: 'UNKNOWN_EVENT_TYPE',
        message: expect.any(String),
        details: { index: 1, type: 'CardExploded', issues: null },
      },
      {
        id: batch[2]!.id,
        commandId: 'cmd-invalid',
        code: 'INVALID_EVENT_DATA',
        message: expect.stringContaining('title must be a non-empty string'),
        details: {
          index: 2,
          type: 'CardAdded',
          issues: [{ message: 'title must be a non-empty string', path: ['title'] }],
        },
      },
      {
        id: batch[3]!.id,
        code: 'UNKNOWN_EVENT_TYPE',
        message: expect.any(String),
        details: expect.objectContaining({ index: 3 }),
      },
      // a non-string commandId is not echoed
      {
        id: batch[4]!.id,
        code: 'INVALID_EVENT_DATA',
        message: expect.any(String),
        details: expect.objectContaining({ index: 4 }),
      },
    ])
    expect(await pullAll(url, 's')).toEqual([])
    expect((await post(`${url}/v1/spaces/s/push`, push([batch[0]!]))).status).toBe(200)
  })

  it.each([
    {
      name: 'v2 data at the current version',
      data: { title: 'a', by: 'ann' },
      meta: { schemaVersion: 2 },
      status: 200,
    },
    { name: 'v2 data without schemaVersion (current assumed)', data: { title: 'a', by: 'ann' }, status: 200 },
    { name: 'v1 data, upcast to v2 and then valid', data: { title: 'a' }, meta: { schemaVersion: 1 }, status: 200 },
    { name: 'v1 data invalid after upcasting', data: { title: '' }, meta: { schemaVersion: 1 }, status: 422 },
    { name: 'v2 data missing a field', data: { title: 'a' }, meta: { schemaVersion: 2 }, status: 422 },
    {
      name: 'a schema version newer than the domain',
      data: { title: 'a', by: 'b' },
      meta: { schemaVersion: 3 },
      status: 422,
    },
    {
      name: 'a schema version that is not a number',
      data: { title: 'a', by: 'b' },
      meta: { schemaVersion: 'two' },
      status: 422,
    },
  ])('validates after upcasting: $name → $status', async ({ data, meta, status }) => {
    const { url } = await start({ authorizeEvent: () => true })
    const res = await post(`${url}/v1/spaces/s/push`, push([event('card:1', 'CardRenamed', data, meta)]))
    expect(res.status).toBe(status)
    if (status === 422) expect(refusedOf(res.body)?.[0]?.code).toBe('INVALID_EVENT_DATA')
  })

  it('loads the example kanban domain (@cairn/example-kanban) in createSyncServer', async () => {
    const sync = createSyncServer({ storage: createMemoryStorage(), domain: kanban })
    const send = (events: WireEvent[]) =>
      sync.fetch('http://cairn.test/v1/spaces/s/push', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(push(events)),
      })
    expect((await send([event('board:1', 'BoardCreated', { title: 'Team' })])).status).toBe(200)
    const refused = await send([event('board:2', 'CardTeleported', {})])
    expect(refused.status).toBe(422)
    expect(((await refused.json()) as ErrorBody).refused).toHaveLength(1)
  })

  it('lists every id reused with other content, with its command, in a 409 ID_REUSED refusal', async () => {
    const { url } = await start({ authorizeEvent: () => true })
    const first = event('card:1', 'CardAdded', { title: 'a' }, { commandId: 'c1' })
    const second = event('card:2', 'CardAdded', { title: 'b' }, { commandId: 'c2' })
    await post(`${url}/v1/spaces/s/push`, push([first, second]))
    const res = await post(
      `${url}/v1/spaces/s/push`,
      push([
        { ...first, data: { title: 'changed' } },
        { ...second, data: { title: 'changed too' } },
        event('card:3', 'CardAdded', { title: 'new' }),
      ]),
    )
    expect(res.status).toBe(409)
    expect(res.body).toMatchObject({ code: 'ID_REUSED', details: { ids: [first.id, second.id] }, head: 2 })
    expect(refusedOf(res.body)).toEqual([
      { id: first.id, commandId: 'c1', code: 'ID_REUSED', message: expect.any(String) },
      { id: second.id, commandId: 'c2', code: 'ID_REUSED', message: expect.any(String) },
    ])
    expect(await pullAll(url, 's')).toHaveLength(2)
  })
})

describe('the server as the authority: authorizeEvent', () => {
  // principal × space × event type
  const matrix: [
    principal: string,
    token: string,
    space: string,
    stream: string,
    type: string,
    data: Record<string, unknown>,
    status: number,
  ][] = []
  const types: [string, string, Record<string, unknown>][] = [
    ['card', 'CardAdded', { title: 't' }],
    ['board', 'ColumnAdded', { column: 'doing' }],
  ]
  const expected: Record<string, (space: string, aggregate: string) => number> = {
    admin: () => 200,
    editor: (space, aggregate) => (space !== 'locked' && aggregate === 'card' ? 200 : 403),
    viewer: () => 403,
  }
  for (const [principal, token] of [
    ['admin', 'adm'],
    ['editor', 'ed'],
    ['viewer', 'view'],
  ] as const)
    for (const space of ['team-1', 'locked'])
      for (const [aggregate, type, data] of types)
        matrix.push([principal, token, space, `${aggregate}:1`, type, data, expected[principal]!(space, aggregate)])

  it.each(matrix)('%s appending to %s: %s %s → %i', async (_principal, token, space, stream, type, data, status) => {
    const { url } = await start({ tokens: TOKENS })
    const e = event(stream, type, data, { commandId: 'cmd-1' })
    const res = await post(`${url}/v1/spaces/${space}/push`, push([e]), bearer(token))
    expect(res.status).toBe(status)
    if (status === 403)
      expect(res.body).toMatchObject({
        code: 'FORBIDDEN',
        refused: [{ id: e.id, commandId: 'cmd-1', code: 'FORBIDDEN' }],
      })
    expect(await pullAll(url, space, bearer('adm'))).toHaveLength(status === 200 ? 1 : 0)
  })

  it('sees the principal, space and event, and is told undefined for an anonymous caller', async () => {
    const seen: unknown[] = []
    const { url } = await start({
      authorizeEvent: (request) => {
        seen.push(request)
        return loaded.authorizeEvent!(request)
      },
    })
    const allowed = event('card:1', 'CardAdded', { title: 'x' })
    const refused = event('card:1', 'CardArchived', {})
    refused.version = 2
    const res = await post(`${url}/v1/spaces/open/push`, push([allowed, refused]))
    expect(res.status).toBe(403)
    expect(refusedOf(res.body)?.map((r) => r.id)).toEqual([refused.id])
    expect(seen).toEqual([
      { principal: undefined, space: 'open', event: allowed },
      { principal: undefined, space: 'open', event: refused },
    ])
  })

  it('a batch with both invalid and forbidden events is a 422 listing both', async () => {
    const { url } = await start({ tokens: TOKENS })
    const invalid = event('card:1', 'CardAdded', { title: '' })
    const forbidden = event('board:1', 'ColumnAdded', { column: 'x' })
    const res = await post(`${url}/v1/spaces/s/push`, push([invalid, forbidden]), bearer('ed'))
    expect(res.status).toBe(422)
    expect(refusedOf(res.body)?.map((r) => [r.id, r.code])).toEqual([
      [invalid.id, 'INVALID_EVENT_DATA'],
      [forbidden.id, 'FORBIDDEN'],
    ])
  })
})

describe('loading a domain module', () => {
  it.each([
    ['a missing file', () => `${tmp.dir}/nope.mjs`, /does not exist/],
    ['a module exporting no domain', () => write('empty.mjs', 'export const x = 1'), /exports no domain/],
    [
      'a module that throws',
      () => write('throws.mjs', 'throw new Error("boom")'),
      /cannot load domain module .*: boom/,
    ],
    [
      'several domains',
      () => write('two.mjs', `export const a = ${DOMAIN}; export const b = ${DOMAIN}`),
      /several domains \(a, b\)/,
    ],
    [
      'a named export that is not a domain',
      () => `${write('one.mjs', `export const a = ${DOMAIN}`)}#b`,
      /no domain exported as "b"/,
    ],
    [
      'an unknown package',
      () => 'no-such-package-cairn/domain',
      /cannot load domain module no-such-package-cairn\/domain/,
    ],
  ])('refuses %s with a readable error', async (_, spec, message) => {
    const error = await loadDomainModule(spec()).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(DomainModuleError)
    expect((error as Error).message).toMatch(message)
  })

  it('picks a named export with #name, and a package export by name', async () => {
    const two = write('pick.mjs', `export const a = ${DOMAIN}; export const b = ${DOMAIN}`)
    expect(Object.keys((await loadDomainModule(`${two}#b`)).domain.aggregates)).toEqual(['x'])
    expect(Object.keys((await loadDomainModule('@cairn/example-kanban')).domain.aggregates).sort()).toEqual(
      Object.keys(kanban.aggregates).sort(),
    )
  })
})

const DOMAIN = `{ aggregates: { x: { name: 'x', events: { Happened: { version: 1 } } } }, projections: {}, reactors: {} }`
function write(name: string, source: string): string {
  const path = `${tmp.dir}/${name}`
  writeFileSync(path, source)
  return path
}
