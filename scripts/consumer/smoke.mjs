/**
 * Runs in the consumer project with plain Node (no TypeScript loader, no bundler): imports every entry point
 * the installed packages export, then uses the built code — a command and a query on an in-process runtime,
 * and a push and a pull against a real server on SQLite (the native better-sqlite3 module).
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import 'fake-indexeddb/auto'

const require = createRequire(import.meta.url)
const expected = {
  '@cairn/core': ['createClient', 'createLocalClient', 'defineDomain', 'isCairnError', 'httpTransport'],
  '@cairn/core/worker': ['serve'],
  '@cairn/core/domain': ['defineAggregate', 'validateWireEvent', 'uuidv7'],
  '@cairn/core/protocol': [],
  '@cairn/core/testing': ['aggregateSpec', 'projectionSpec', 'createTestRuntime', 'MemorySyncServer'],
  '@cairn/react': ['CairnProvider', 'useQuery', 'useCommand', 'useSyncStatus'],
  '@cairn/server': ['startServer', 'createSyncServer', 'createSqliteStorage', 'createMemoryStorage'],
}

for (const name of ['@cairn/core', '@cairn/react', '@cairn/server']) {
  const pkg = JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8'))
  for (const subpath of Object.keys(pkg.exports).filter((s) => !s.endsWith('.json'))) {
    const specifier = subpath === '.' ? name : `${name}${subpath.slice(1)}`
    const module = await import(specifier)
    for (const exported of expected[specifier] ?? []) {
      assert.equal(typeof module[exported], 'function', `${specifier} exports ${exported}`)
    }
    console.log(`  import ${specifier}: ${Object.keys(module).length} exports`)
  }
}

const { createLocalClient, defineAggregate, defineDomain, defineEvents, defineProjection, event, table } = await import(
  '@cairn/core'
)
const note = defineAggregate({
  name: 'note',
  events: defineEvents({ NoteAdded: event() }),
  initialState: () => ({ exists: false }),
  evolve: { NoteAdded: () => ({ exists: true }) },
  commands: { add: (s, input, ctx) => (s.exists ? ctx.reject('AlreadyExists') : ctx.event('NoteAdded', input)) },
})
const notes = defineProjection({
  name: 'notes',
  version: 1,
  from: [note],
  table: table({ key: 'id' }),
  on: { NoteAdded: (tx, e) => tx.put({ id: e.streamId, text: e.data.text }) },
  queries: { all: (t) => t.toArray() },
})
const client = createLocalClient(defineDomain({ aggregates: { note }, projections: { notes } }), { name: 'smoke' })
await client.execute('note.add', { id: 'n1', input: { text: 'hello' } })
assert.deepEqual(await client.query('notes.all'), [{ id: 'n1', text: 'hello', space: 'default' }])
await client.close()
console.log('  in-process runtime: a command and a query')

const { startServer } = await import('@cairn/server')
const server = await startServer({ port: 0, db: join(tmpdir(), `cairn-smoke-${process.pid}.db`), rateLimit: false })
try {
  const event = { id: '0190b6b0-0000-7000-8000-000000000001', stream: 'note:n1', version: 1, type: 'NoteAdded' }
  const push = await fetch(`${server.url}/v1/spaces/smoke/push`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ clientId: 'smoke', events: [{ ...event, data: { text: 'hello' } }] }),
  })
  assert.equal(push.status, 200, await push.clone().text())
  const pull = await (await fetch(`${server.url}/v1/spaces/smoke/pull?after=0`)).json()
  assert.deepEqual(
    pull.events.map((e) => [e.seq, e.id]),
    [[1, event.id]],
  )
  console.log(`  cairn-server on SQLite (${server.url}): a push and a pull`)
} finally {
  await server.close()
}
