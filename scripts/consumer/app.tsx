/**
 * Type-checked in the consumer project by plain `tsc` (strict, skipLibCheck false, NodeNext resolution): what a
 * user writes against the published `.d.ts` — a domain, the typed client, the test kit, the React hooks, the server.
 */
import { createClient, defineAggregate, defineDomain, defineEvents, defineProjection, event, table } from '@cairn/core'
import { validateWireEvent } from '@cairn/core/domain'
import type { WireEvent } from '@cairn/core/protocol'
import { aggregateSpec } from '@cairn/core/testing'
import { serve } from '@cairn/core/worker'
import { CairnProvider, useCommand, useQuery, useSyncStatus } from '@cairn/react'
import { createSqliteStorage, startServer } from '@cairn/server'

const todo = defineAggregate({
  name: 'todo',
  events: defineEvents({ TodoAdded: event<{ title: string }>(), TodoDone: event<Record<string, never>>() }),
  initialState: () => ({ exists: false, done: false }),
  evolve: { TodoAdded: (s) => ({ ...s, exists: true }), TodoDone: (s) => ({ ...s, done: true }) },
  commands: {
    add: (s, input: { title: string }, ctx) => (s.exists ? ctx.reject('AlreadyExists') : ctx.event('TodoAdded', input)),
    finish: (s, _input: Record<string, never>, ctx) => (s.done ? ctx.reject('AlreadyDone') : ctx.event('TodoDone', {})),
  },
})
const todos = defineProjection({
  name: 'todos',
  version: 1,
  from: [todo],
  table: table<{ id: string; title: string; done: 0 | 1 }>({ key: 'id', indexes: ['done'] }),
  on: {
    TodoAdded: (tx, e) => tx.put({ id: e.streamId, title: e.data.title, done: 0 }),
    TodoDone: async (tx, e) => {
      await tx.update(e.streamId, { done: 1 })
    },
  },
  queries: { open: (t) => t.where('done').equals(0).toArray() },
})
export const domain = defineDomain({ aggregates: { todo }, projections: { todos } })

declare module '@cairn/react' {
  interface Register {
    domain: typeof domain
  }
}

export async function page(worker: Worker): Promise<string[]> {
  const cairn = createClient<typeof domain>(worker)
  await cairn.execute('todo.add', { id: 't1', input: { title: 'typed' } })
  // @ts-expect-error: the input is typed by path
  await cairn.execute('todo.add', { id: 't2', input: { name: 'wrong' } })
  const open = await cairn.query('todos.open')
  return open.map((row) => row.title)
}

export function inWorker(): void {
  serve(domain, { name: 'consumer', sync: { url: 'http://127.0.0.1:8787', space: 'team' } })
}

export function spec(): void {
  aggregateSpec(todo)
    .given([{ type: 'TodoAdded', data: { title: 'x' } }])
    .when('add', { title: 'y' })
    .thenRejects('AlreadyExists')
}

export function OpenTodos() {
  const open = useQuery('todos.open', undefined)
  const add = useCommand('todo.add')
  const pending = useSyncStatus((s) => s.pending)
  const titles: string[] | undefined = open.data?.map((row) => row.title)
  return (
    <ul>
      {titles?.map((title) => (
        <li key={title}>{title}</li>
      ))}
      <button type="button" onClick={() => add.mutate({ id: crypto.randomUUID(), input: { title: 'new' } })}>
        add ({pending} pending)
      </button>
    </ul>
  )
}

export const App = ({ client }: { client: ReturnType<typeof createClient<typeof domain>> }) => (
  <CairnProvider client={client}>
    <OpenTodos />
  </CairnProvider>
)

export async function server(event: WireEvent): Promise<void> {
  const running = await startServer({
    storage: createSqliteStorage({ path: './data/cairn.db' }),
    validateEvent: (e) => validateWireEvent(domain, e),
    port: 0,
  })
  console.log(running.url, event.id)
  await running.close()
}
