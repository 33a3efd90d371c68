import type { CardRow } from '@cairn/example-kanban'
import { useState } from 'react'
import { useBoardCommand } from '../hooks/use-board-command'
import { displayName, useMembers } from '../hooks/use-user'
import { startCardDrag } from './drag'
import { RenameForm } from './RenameForm'

interface CardItemProps {
  board: string
  card: CardRow
  previous: string | null
  next: string | null
}

export function CardItem({ board, card, previous, next }: CardItemProps) {
  const move = useBoardCommand('board.moveCard')
  const archive = useBoardCommand('board.archiveCard')
  const [editing, setEditing] = useState(false)
  // The author's name is their member row's (one live query per board, shared by its cards).
  const author = useMembers(board).get(card.author ?? '')
  const moveTo = (to: string | null) => {
    if (to) move({ id: board, space: board, input: { cardId: card.id, to } })
  }

  return (
    <article
      className="card"
      data-testid={`card-${card.id}`}
      data-card={card.id}
      draggable={!editing}
      onDragStart={(e) => startCardDrag(e, card.id)}
    >
      {editing ? (
        <RenameForm card={card} onDone={() => setEditing(false)} />
      ) : (
        <p
          className="card-title"
          data-role="title"
          onDoubleClick={() => setEditing(true)}
          title="Double-click to rename"
        >
          {card.title}
        </p>
      )}
      {author && (
        <p className="card-author" data-role="author" data-testid={`card-author-${card.id}`}>
          by {displayName(author.name)}
        </p>
      )}
      <div className="card-actions">
        <button
          type="button"
          className="icon"
          data-testid={`move-left-${card.id}`}
          aria-label="Move left"
          disabled={!previous}
          onClick={() => moveTo(previous)}
        >
          ←
        </button>
        <button
          type="button"
          className="icon"
          data-testid={`move-right-${card.id}`}
          aria-label="Move right"
          disabled={!next}
          onClick={() => moveTo(next)}
        >
          →
        </button>
        <span className="spacer" />
        <button
          type="button"
          className="icon"
          data-testid={`rename-${card.id}`}
          aria-label="Rename"
          title="Rename"
          onClick={() => setEditing(true)}
        >
          ✎
        </button>
        <button
          type="button"
          className="icon icon-danger"
          data-testid={`archive-${card.id}`}
          aria-label="Archive"
          title="Archive"
          onClick={() => archive({ id: board, space: board, input: { cardId: card.id } })}
        >
          ⌫
        </button>
      </div>
    </article>
  )
}
