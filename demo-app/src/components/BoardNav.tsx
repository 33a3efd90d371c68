import { useSyncStatus } from '@cairn/react'
import type { MouseEvent, ReactNode } from 'react'
import { type Route, routeUrl } from '../config'
import { useJoinedBoards } from '../hooks/use-boards'
import { useEncrypted } from '../hooks/use-encryption'
import type { Navigate } from '../hooks/use-route'
import { LockBadge } from './LockBadge'
import { NewBoard } from './NewBoard'

/**
 * "My cards", every board this device holds (its joined spaces; a lock on the encrypted ones), and "New board":
 * one click, no page load, online or not.
 */
export function BoardNav({ route, navigate }: { route: Route; navigate: Navigate }) {
  const joined = useJoinedBoards()
  const current = route.view === 'board' ? route.board : null
  // The board on screen is listed while it is being joined too.
  const boards = current !== null && !joined.includes(current) ? [...joined, current].sort() : joined
  return (
    <nav className="boardbar" aria-label="Boards">
      <NavLink to={{ view: 'mine' }} active={route.view === 'mine'} navigate={navigate} testId="nav-mine">
        My cards
      </NavLink>
      <span className="boardbar-sep" aria-hidden="true" />
      {boards.map((board) => (
        <NavLink
          key={board}
          to={{ view: 'board', board }}
          active={board === current}
          navigate={navigate}
          testId={`nav-board-${board}`}
        >
          {board}
          <BoardLock board={board} />
          <PendingCount board={board} />
        </NavLink>
      ))}
      <NewBoard navigate={navigate} />
    </nav>
  )
}

function NavLink(props: { to: Route; active: boolean; navigate: Navigate; testId: string; children: ReactNode }) {
  const { to, active, navigate, testId, children } = props
  const onClick = (event: MouseEvent) => {
    // A new tab or window (modifier keys, middle click) opens the link normally.
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return
    event.preventDefault()
    if (!active) navigate(to)
  }
  return (
    <a
      href={routeUrl(to)}
      className={`boardbar-link${active ? ' boardbar-active' : ''}`}
      aria-current={active ? 'page' : undefined}
      data-testid={testId}
      onClick={onClick}
    >
      {children}
    </a>
  )
}

function BoardLock({ board }: { board: string }) {
  return useEncrypted(board) ? <LockBadge compact testId={`nav-lock-${board}`} /> : null
}

/** This board's unsynced commands, if any (what leaving it now would discard). */
function PendingCount({ board }: { board: string }) {
  const pending = useSyncStatus((s) => s.spaces[board]?.pending ?? 0)
  if (pending === 0) return null
  return (
    <span className="boardbar-pending" title={`${pending} change(s) not synced yet`}>
      {pending}
    </span>
  )
}
