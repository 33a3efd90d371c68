import { useCairn } from '@cairn/react'
import { joinBoard, type Membership } from '../hooks/use-boards'
import type { Navigate } from '../hooks/use-route'
import { Board } from './Board'
import { LeaveBoard } from './LeaveBoard'

/** One board: its toolbar (leave it) and its columns, read from the shared database by board. */
export function BoardView({
  board,
  membership,
  navigate,
}: {
  board: string
  membership: Membership
  navigate: Navigate
}) {
  const cairn = useCairn()
  if (membership === 'left') {
    return (
      <div className="notice" data-testid="board-left">
        <p>This device left “{board}” (in another tab): its cards were removed from here.</p>
        <button type="button" data-testid="rejoin-board" onClick={() => void joinBoard(cairn, board)}>
          Open it again
        </button>
      </div>
    )
  }
  return (
    <>
      <div className="board-toolbar">
        <h1 className="board-title">{board}</h1>
        <LeaveBoard
          board={board}
          joined={membership === 'joined'}
          onLeft={() => navigate({ view: 'mine' }, { replace: true })}
        />
      </div>
      <Board board={board} />
    </>
  )
}
