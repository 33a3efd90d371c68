import { useEnsureBoard } from '../hooks/use-ensure-board'
import { Board } from './Board'
import { Header } from './Header'
import { LogInspector } from './LogInspector'
import { RejectionsPanel } from './RejectionsPanel'
import { TokenPrompt } from './TokenPrompt'

export function App({ board }: { board: string }) {
  useEnsureBoard(board)
  return (
    <div className="app">
      <Header board={board} />
      <TokenPrompt board={board} />
      <main className="main">
        <Board board={board} />
      </main>
      <RejectionsPanel board={board} />
      <LogInspector />
    </div>
  )
}
