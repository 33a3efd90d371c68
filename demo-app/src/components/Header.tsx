import type { Route } from '../config'
import type { Navigate } from '../hooks/use-route'
import { BoardSwitcher } from './BoardSwitcher'
import { OfflineSwitch } from './OfflineSwitch'
import { SyncBadge } from './SyncBadge'
import { UserMenu } from './UserMenu'

export function Header({ route, navigate }: { route: Route; navigate: Navigate }) {
  return (
    <header className="topbar">
      <div className="brand">
        <span className="brand-mark" aria-hidden="true" />
        <span className="brand-name">Cairn</span>
        <span className="brand-board" data-testid="current-view">
          / {route.view === 'board' ? route.board : 'My cards'}
        </span>
      </div>
      <BoardSwitcher navigate={navigate} />
      <div className="topbar-status">
        <SyncBadge />
        <OfflineSwitch />
        <UserMenu />
      </div>
    </header>
  )
}
