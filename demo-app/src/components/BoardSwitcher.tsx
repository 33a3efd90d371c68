import { type FormEvent, useState } from 'react'
import { isBoardName } from '../config'
import type { Navigate } from '../hooks/use-route'

/** Opens a board by name (joining it): no page load, the board shares the app's one database. */
export function BoardSwitcher({ navigate }: { navigate: Navigate }) {
  const [name, setName] = useState('')
  const valid = isBoardName(name.trim())

  const open = (event: FormEvent) => {
    event.preventDefault()
    if (!valid) return
    navigate({ view: 'board', board: name.trim() })
    setName('')
  }

  return (
    <form className="switcher" onSubmit={open}>
      <label htmlFor="board-input" className="sr-only">
        Open a board
      </label>
      <input
        id="board-input"
        data-testid="board-input"
        placeholder="Open a board…"
        autoComplete="off"
        spellCheck={false}
        value={name}
        onChange={(e) => setName(e.target.value)}
        title="Letters, digits, - and _ (up to 64)"
      />
      <button type="submit" data-testid="board-open" disabled={!valid}>
        Open
      </button>
    </form>
  )
}
