import type { JoinSpaceOptions } from '@cairn/core'
import { useCairn, useSyncStatus } from '@cairn/react'
import { useEffect, useMemo, useState, useSyncExternalStore } from 'react'
import { takeLegacyBoards, tokenOf } from '../config'
import { joinedWith, offeredPassphrase, subscribe } from '../encrypted-boards'
import { boardKey } from '../passphrase'

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

/**
 * Joins (idempotently) a space with the token the page knows for it: kept in the database, shared by tabs. For
 * an encrypted board, with the key of the passphrase the page was given (a new board, a share link, the key
 * prompt): the runtime keeps the key in the database too, so later joins pass none and nothing is derived again.
 */
export async function joinBoard(
  cairn: { joinSpace(space: string, options?: JoinSpaceOptions): Promise<void> },
  board: string,
  passphrase: string | null = offeredPassphrase(board),
): Promise<void> {
  const token = tokenOf(board)
  const key = passphrase === null ? null : await boardKey(board, passphrase)
  await cairn.joinSpace(board, {
    ...(token ? { token } : {}),
    // Types sealed too: the server sees streams and versions, not what happened.
    ...(key ? { encryption: { keys: [key], hideTypes: true } } : {}),
  })
  if (key && passphrase !== null) joinedWith(board, key.id, passphrase)
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
  // A passphrase offered for this board (a share link opened in this tab, a new encrypted board): join again.
  const offered = useSyncExternalStore(subscribe, () => (board === null ? null : offeredPassphrase(board)))

  useEffect(() => {
    if (board === null) return
    setSeen(null)
    // The error says nothing of the passphrase (keyFromPassphrase and joinSpace never echo it).
    joinBoard(cairn, board, offered).catch((error: unknown) => console.error(`Could not join board '${board}'`, error))
  }, [cairn, board, offered])

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
