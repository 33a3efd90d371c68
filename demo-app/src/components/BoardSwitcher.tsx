import { type FormEvent, useState } from 'react'
import { boardUrl, isBoardName, recentBoards } from '../config'

/** Opens another board (a sync space with its own local database): a page load, so one worker per board. */
export function BoardSwitcher({ board }: { board: string }) {
  const [name, setName] = useState('')
  const [recent] = useState(() => recentBoards().filter((b) => b !== board))
  const valid = isBoardName(name.trim())

  const open = (event: FormEvent) => {
    event.preventDefault()
    if (valid) window.location.assign(boardUrl(name.trim()))
  }

  return (
    <form className="switcher" onSubmit={open}>
      <label htmlFor="board-input" className="sr-only">
        Open a board
      </label>
      <input
        id="board-input"
        data-testid="board-input"
        list="recent-boards"
        placeholder="Open a board…"
        autoComplete="off"
        spellCheck={false}
        value={name}
        onChange={(e) => setName(e.target.value)}
        title="Letters, digits, - and _ (up to 64)"
      />
      <datalist id="recent-boards">
        {recent.map((b) => (
          <option key={b} value={b} />
        ))}
      </datalist>
      <button type="submit" data-testid="board-open" disabled={!valid}>
        Open
      </button>
    </form>
  )
}
