import { BoardSwitcher } from './BoardSwitcher'
import { OfflineSwitch } from './OfflineSwitch'
import { SyncBadge } from './SyncBadge'

export function Header({ board }: { board: string }) {
  return (
    <header className="topbar">
      <div className="brand">
        <span className="brand-mark" aria-hidden="true" />
        <span className="brand-name">Cairn</span>
        <span className="brand-board">/ {board}</span>
      </div>
      <BoardSwitcher board={board} />
      <div className="topbar-status">
        <SyncBadge />
        <OfflineSwitch />
      </div>
    </header>
  )
}
