import { isCairnError } from '@cairn/core'
import { useCairn, useSyncStatus } from '@cairn/react'
import { useEffect, useRef, useState } from 'react'
import { isKeyError } from '../passphrase'
import type { Membership } from './use-boards'

export const DEFAULT_COLUMNS = [
  { id: 'todo', title: 'To do', wipLimit: null },
  { id: 'doing', title: 'Doing', wipLimit: 2 },
  { id: 'done', title: 'Done', wipLimit: null },
]
/** How long to wait for a first sync before creating the board while offline. */
export const OFFLINE_GRACE_MS = 1500

/**
 * Creates the board on first open, once it is joined and we know it does not exist yet: after its space's
 * first sync (another device may have created it), or after 1.5 s without a connection (or with sync failing),
 * never while its events wait for a key (an encrypted board this device cannot read yet: it exists).
 * Two devices that are both offline on first open can each create it; when they sync, the second creation is
 * rejected (`BoardExists`) and its cards land on the first one's board (same column ids). That rejection is
 * expected: it is dismissed.
 */
export function useEnsureBoard(board: string | null, membership: Membership): void {
  const cairn = useCairn()
  const ready = useSyncStatus((s) => s.ready)
  const synced = useSyncStatus((s) => (board === null ? false : (s.spaces[board]?.lastSyncedAt ?? null) !== null))
  const failing = useSyncStatus((s) => s.lastError !== null || (board !== null && s.spaces[board]?.lastError != null))
  // An encrypted board this device cannot read yet exists: creating it here would fork it.
  const locked = useSyncStatus((s) => board !== null && isKeyError(s.spaces[board]?.lastError?.code))
  const connected = useSyncStatus((s) => s.connected)
  const rejected = useSyncStatus((s) => s.rejected)
  // The board whose grace period is over (it restarts when another board is opened).
  const [graceOver, setGraceOver] = useState<string | null>(null)
  const creating = useRef(new Set<string>())

  useEffect(() => {
    if (board === null) return
    const timer = setTimeout(() => setGraceOver(board), OFFLINE_GRACE_MS)
    return () => clearTimeout(timer)
  }, [board])

  const due =
    board !== null &&
    membership === 'joined' &&
    ready &&
    !locked &&
    (synced || (graceOver === board && (!connected || failing)))
  useEffect(() => {
    if (!due || board === null || creating.current.has(board)) return
    creating.current.add(board)
    void (async () => {
      try {
        const columns = await cairn.query('columns.onBoard', board)
        if (columns.length > 0) return
        await cairn.execute('board.create', {
          id: board,
          space: board,
          input: { title: board, columns: DEFAULT_COLUMNS },
          expectedVersion: 'no_stream',
        })
      } catch (error) {
        const lost = isCairnError(error) && (error.name === 'ConcurrencyError' || error.code === 'BoardExists')
        if (!lost) console.error('Could not create the board', error)
      } finally {
        creating.current.delete(board)
      }
    })()
  }, [due, cairn, board])

  useEffect(() => {
    for (const r of rejected) {
      if (r.path === 'board.create' && (r.code === 'BoardExists' || r.code === 'CONCURRENCY'))
        void cairn.dismissRejected(r.commandId)
    }
  }, [rejected, cairn])
}
