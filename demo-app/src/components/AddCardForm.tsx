import { type FormEvent, useState } from 'react'
import { useBoardCommand } from '../hooks/use-board-command'
import { useUser } from '../hooks/use-user'

export function AddCardForm({ board, column }: { board: string; column: string }) {
  const addCard = useBoardCommand('board.addCard')
  const [title, setTitle] = useState('')
  // The card records who added it by user id, never by name: the name is the member's (forgettable) data.
  const author = useUser().id

  const submit = (event: FormEvent) => {
    event.preventDefault()
    const text = title.trim()
    if (text === '') return
    addCard({ id: board, space: board, input: { cardId: crypto.randomUUID(), title: text, column, author } })
    setTitle('')
  }

  return (
    <form className="add-card" onSubmit={submit}>
      <input
        data-testid={`add-card-input-${column}`}
        aria-label={`New card in ${column}`}
        placeholder="Add a card…"
        value={title}
        onChange={(e) => setTitle(e.target.value)}
      />
      <button type="submit" data-testid={`add-card-submit-${column}`} disabled={title.trim() === ''}>
        Add
      </button>
    </form>
  )
}
