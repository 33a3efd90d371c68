import type { Route } from '../config'
import { useJoinLegacyBoards, useOpenBoard } from '../hooks/use-boards'
import { useEnsureBoard } from '../hooks/use-ensure-board'
import { useMembership } from '../hooks/use-membership'
import { useRoute } from '../hooks/use-route'
import { BoardNav } from './BoardNav'
import { BoardView } from './BoardView'
import { Header } from './Header'
import { LogInspector } from './LogInspector'
import { MyCards } from './MyCards'
import { NamePrompt } from './NamePrompt'
import { RejectionsPanel } from './RejectionsPanel'
import { TokenPrompt } from './TokenPrompt'

/** One database, every joined board: the view (a board, or "My cards") changes with no page load. */
export function App({ initialRoute }: { initialRoute: Route }) {
  const [route, navigate] = useRoute(initialRoute)
  const board = route.view === 'board' ? route.board : null
  const membership = useOpenBoard(board)
  useEnsureBoard(board, membership)
  useJoinLegacyBoards()
  useMembership()
  return (
    <div className="app">
      <Header route={route} navigate={navigate} />
      <BoardNav route={route} navigate={navigate} />
      <NamePrompt />
      {board !== null && <TokenPrompt key={board} board={board} />}
      <main className="main">
        {board !== null ? (
          <BoardView key={board} board={board} membership={membership} navigate={navigate} />
        ) : (
          <MyCards navigate={navigate} />
        )}
      </main>
      <RejectionsPanel board={board} />
      <LogInspector />
    </div>
  )
}
