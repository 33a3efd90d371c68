import type { ColumnRow } from '@cairn/example-kanban'
import { useQuery } from '@cairn/react'
import { type DragEvent, useState } from 'react'
import { useBoardCommand } from '../hooks/use-board-command'
import { AddCardForm } from './AddCardForm'
import { CardItem } from './CardItem'
import { draggedCard, isCardDrag } from './drag'
import { WipLimit } from './WipLimit'

interface ColumnProps {
  board: string
  row: ColumnRow
  /** The neighbouring columns' ids, for the ← and → buttons. */
  previous: string | null
  next: string | null
}

export function Column({ board, row, previous, next }: ColumnProps) {
  const { data: cards = [] } = useQuery('cards.byColumn', { board, column: row.column })
  const move = useBoardCommand('board.moveCard')
  const [dropping, setDropping] = useState(false)
  const count = row.cardIds.length
  const full = row.wipLimit !== null && count >= row.wipLimit
  // The column row holds the order; the cards query holds the text.
  const byId = new Map(cards.map((card) => [card.id, card]))
  const ordered = row.cardIds.flatMap((id) => byId.get(id) ?? [])

  const onDragOver = (event: DragEvent) => {
    if (!isCardDrag(event)) return
    event.preventDefault()
    event.dataTransfer.dropEffect = 'move'
    setDropping(true)
  }
  const onDragLeave = (event: DragEvent) => {
    if (!event.currentTarget.contains(event.relatedTarget as Node | null)) setDropping(false)
  }
  const onDrop = (event: DragEvent) => {
    event.preventDefault()
    setDropping(false)
    const cardId = draggedCard(event)
    if (cardId && !row.cardIds.includes(cardId)) move({ id: board, space: board, input: { cardId, to: row.column } })
  }

  return (
    <section
      className={`column${full ? ' column-full' : ''}${dropping ? ' column-drop' : ''}`}
      data-testid={`column-${row.column}`}
      data-count={count}
      data-full={full}
      aria-label={row.title}
      onDragOver={onDragOver}
      onDragLeave={onDragLeave}
      onDrop={onDrop}
    >
      <header className="column-header">
        <h2>{row.title}</h2>
        <WipLimit board={board} column={row.column} count={count} limit={row.wipLimit} />
      </header>
      <ol className="cards">
        {ordered.map((card) => (
          <li key={card.id}>
            <CardItem board={board} card={card} previous={previous} next={next} />
          </li>
        ))}
      </ol>
      {ordered.length === 0 && <p className="column-empty">{dropping ? 'Drop here' : 'No cards yet'}</p>}
      <AddCardForm board={board} column={row.column} />
    </section>
  )
}
