import type { CardRow } from '@cairn/example-kanban'
import { type FormEvent, useRef, useState } from 'react'
import { useBoardCommand } from '../hooks/use-board-command'

/** Inline title editor: Enter or leaving the field saves, Escape cancels. */
export function RenameForm({ card, onDone }: { card: CardRow; onDone: () => void }) {
  const rename = useBoardCommand('card.rename')
  const [title, setTitle] = useState(card.title)
  // Closing the editor can blur the field: act once.
  const closed = useRef(false)
  const close = (save: boolean) => {
    if (closed.current) return
    closed.current = true
    const text = title.trim()
    // A card's first rename starts its `card:<id>` stream: it goes to the space of the card's board.
    if (save && text !== '' && text !== card.title) rename({ id: card.id, space: card.board, input: { title: text } })
    onDone()
  }
  const submit = (event: FormEvent) => {
    event.preventDefault()
    close(true)
  }

  return (
    <form className="rename" onSubmit={submit}>
      <input
        data-testid={`rename-input-${card.id}`}
        aria-label="Card title"
        // biome-ignore lint/a11y/noAutofocus: the field appears because the user asked to edit this card
        autoFocus
        value={title}
        onChange={(e) => setTitle(e.target.value)}
        onFocus={(e) => e.target.select()}
        onBlur={() => close(true)}
        onKeyDown={(e) => {
          if (e.key === 'Escape') close(false)
        }}
      />
    </form>
  )
}
