import { useCairn, useSyncStatus } from '@cairn/react'
import { useEffect, useMemo, useState } from 'react'
import { takeLegacyBoards, tokenOf } from '../config'

/**
 * The boards this device holds: the spaces its database joined (shared by every tab), sorted by name. Computed
 * as one string so that a change of a board's sync state (its pending count...) does not re-render readers.
 */
export function useJoinedBoards(): string[] {
  const joined = useSyncStatus((s) => Object.keys(s.spaces).sort().join('\n'))
  return useMemo(() => (joined === '' ? [] : joined.split('\n')), [joined])
}

/** Where this device stands with the board on screen. */
export type Membership = 'joining' | 'joined' | 'left'

/** Joins (idempotently) a space with the token the page knows for it: kept in the database, shared by tabs. */
export function joinBoard(
  cairn: { joinSpace(space: string, options?: { token?: string }): Promise<void> },
  board: string,
): Promise<void> {
  const token = tokenOf(board)
  return cairn.joinSpace(board, token ? { token } : {})
}

/**
 * Opening a board joins it (with its token): from then on the device keeps it, syncs it and shows its cards in
 * "My cards", until it leaves it. Works offline (joining is local; the first sync happens when it can).
 * `left` means another tab left this board while it was on screen here.
 */
export function useOpenBoard(board: string | null): Membership {
  const cairn = useCairn()
  const joined = useSyncStatus((s) => board !== null && Object.hasOwn(s.spaces, board))
  // The board seen joined since it was opened here: if it disappears, it was left (by another tab).
  const [seen, setSeen] = useState<string | null>(null)

  useEffect(() => {
    if (board === null) return
    setSeen(null)
    joinBoard(cairn, board).catch((error: unknown) => console.error(`Could not join board '${board}'`, error))
  }, [cairn, board])

  useEffect(() => {
    if (joined && board !== null) setSeen(board)
  }, [joined, board])

  if (board === null) return 'joining'
  if (joined) return 'joined'
  return seen === board ? 'left' : 'joining'
}

/**
 * Boards opened before they shared one database (each had a database of its own, listed in localStorage):
 * joined once, so the device keeps every board it opened. Their data comes back from the server.
 */
export function useJoinLegacyBoards(): void {
  const cairn = useCairn()
  useEffect(() => {
    for (const board of takeLegacyBoards())
      joinBoard(cairn, board).catch((error: unknown) => console.error(`Could not join board '${board}'`, error))
  }, [cairn])
}
