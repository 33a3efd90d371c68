import type { CardRow } from '@cairn/example-kanban'
import { useQuery, useSyncStatus } from '@cairn/react'
import type { MouseEvent } from 'react'
import { routeUrl } from '../config'
import { useJoinedBoards } from '../hooks/use-boards'
import type { Navigate } from '../hooks/use-route'

/**
 * "My cards": every open card of every board this device holds, grouped by board, most recently changed first.
 * One live query over the one database (`cards.acrossBoards`): a card another device adds to any joined board
 * shows up here as soon as it syncs; a board left disappears with its cards.
 */
export function MyCards({ navigate }: { navigate: Navigate }) {
  const boards = useJoinedBoards()
  // Until the runtime is ready, "no joined board" only means "not known yet".
  const ready = useSyncStatus((s) => s.ready)
  const { data: cards = [], error } = useQuery('cards.acrossBoards', undefined)
  if (error) return <p className="notice notice-error">Could not load your cards: {error.message}</p>
  if (!ready) return <p className="notice">Opening your boards…</p>
  const byBoard = new Map<string, CardRow[]>(boards.map((b) => [b, []]))
  for (const card of cards) byBoard.set(card.board, [...(byBoard.get(card.board) ?? []), card])
  return (
    <div className="my-cards" data-testid="my-cards" data-count={cards.length}>
      <h1 className="board-title">My cards</h1>
      {byBoard.size === 0 ? (
        <p className="notice">No boards on this device yet: open one from the top bar.</p>
      ) : (
        [...byBoard].map(([board, rows]) => <BoardCards key={board} board={board} cards={rows} navigate={navigate} />)
      )}
    </div>
  )
}

function BoardCards({ board, cards, navigate }: { board: string; cards: CardRow[]; navigate: Navigate }) {
  const { data: columns = [] } = useQuery('columns.onBoard', board)
  const titles = new Map(columns.map((c) => [c.column, c.title]))
  const open = (event: MouseEvent) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return
    event.preventDefault()
    navigate({ view: 'board', board })
  }
  return (
    <section className="my-cards-board" data-testid={`my-cards-board-${board}`} data-count={cards.length}>
      <h2>
        <a href={routeUrl({ view: 'board', board })} onClick={open}>
          {board}
        </a>{' '}
        <span className="my-cards-count">
          {cards.length} {cards.length === 1 ? 'card' : 'cards'}
        </span>
      </h2>
      {cards.length === 0 ? (
        <p className="my-cards-empty">No open cards</p>
      ) : (
        <ul className="my-cards-list">
          {cards.map((card) => (
            <li key={card.id} className="my-card" data-testid={`my-card-${card.id}`} data-my-card={card.id}>
              <span className="my-card-title" data-role="title">
                {card.title}
              </span>
              <span className="my-card-column">{titles.get(card.column) ?? card.column}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  )
}
