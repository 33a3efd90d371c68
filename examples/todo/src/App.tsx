import { isCairnError } from '@cairn/core'
import { useCommand, useQuery, useSyncStatus } from '@cairn/react'
import { type FormEvent, useState } from 'react'
import './register'

/** The sync badge: offline, pending commands, synced. Reads only the fields it shows, so it re-renders rarely. */
function SyncBadge() {
  const online = useSyncStatus((s) => s.online && s.connected)
  const pending = useSyncStatus((s) => s.pending)
  const state = !online ? 'offline' : pending > 0 ? 'syncing' : 'synced'
  return (
    <output className={`badge ${state}`} data-state={state} data-pending={pending}>
      {state === 'offline' ? 'offline' : state === 'syncing' ? 'syncing…' : 'synced'}
      {pending > 0 ? ` · ${pending} pending` : ''}
    </output>
  )
}

function AddTodo() {
  const [title, setTitle] = useState('')
  const add = useCommand('todo.add')
  const submit = (e: FormEvent) => {
    e.preventDefault()
    // Client-generated ids: the command works offline and is idempotent when synced.
    add.mutate({ id: crypto.randomUUID(), input: { title } }, { onSuccess: () => setTitle('') })
  }
  return (
    <form onSubmit={submit}>
      <input
        aria-label="New todo"
        placeholder="What needs doing?"
        value={title}
        onChange={(e) => setTitle(e.target.value)}
      />
      <button type="submit">Add</button>
      {add.error && isCairnError(add.error, 'CommandRejected') ? <p role="alert">{add.error.code}</p> : null}
    </form>
  )
}

function TodoList() {
  const todos = useQuery('todos.all', undefined)
  const toggle = useCommand('todo.toggle')
  const remove = useCommand('todo.remove')
  if (todos.isPending) return <p>Loading…</p>
  if (todos.isError) return <p role="alert">{todos.error.message}</p>
  return (
    <ul>
      {todos.data.map((todo) => (
        <li key={todo.id} className={todo.done ? 'done' : undefined}>
          <label>
            <input
              type="checkbox"
              checked={todo.done === 1}
              onChange={() => toggle.mutate({ id: todo.id, input: {} })}
            />
            {todo.title}
          </label>
          <button
            type="button"
            aria-label={`Remove ${todo.title}`}
            onClick={() => remove.mutate({ id: todo.id, input: {} })}
          >
            ×
          </button>
        </li>
      ))}
    </ul>
  )
}

export function App({ list }: { list: string }) {
  const open = useQuery('todos.openCount', undefined)
  return (
    <main>
      <header>
        <h1>{list}</h1>
        <SyncBadge />
      </header>
      <AddTodo />
      <TodoList />
      <footer>{open.data ?? 0} open</footer>
    </main>
  )
}
