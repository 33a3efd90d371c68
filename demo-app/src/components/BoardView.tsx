import { useCairn } from '@cairn/react'
import { joinBoard, type Membership } from '../hooks/use-boards'
import { useEncrypted } from '../hooks/use-encryption'
import type { Navigate } from '../hooks/use-route'
import { Board } from './Board'
import { BoardMembers } from './BoardMembers'
import { KeyPrompt } from './KeyPrompt'
import { LeaveBoard } from './LeaveBoard'
import { LockBadge } from './LockBadge'
import { ShareBoard } from './ShareBoard'

/**
 * One board: its toolbar (the lock of an encrypted board, who is on it, share it, leave it), the passphrase prompt while its
 * events wait for a key, and its columns, read from the shared database by board.
 */
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
  const encrypted = useEncrypted(board)
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
        {encrypted && <LockBadge testId="board-lock" />}
        <BoardMembers board={board} />
        <ShareBoard board={board} />
        <LeaveBoard
          board={board}
          joined={membership === 'joined'}
          onLeft={() => navigate({ view: 'mine' }, { replace: true })}
        />
      </div>
      <KeyPrompt key={board} board={board} />
      <Board board={board} />
    </>
  )
}
