import { isCairnError } from '@cairn/core'
import { useCairn, useSyncStatus } from '@cairn/react'
import { useEffect, useRef, useState } from 'react'

export const DEFAULT_COLUMNS = [
  { id: 'todo', title: 'To do', wipLimit: null },
  { id: 'doing', title: 'Doing', wipLimit: 2 },
  { id: 'done', title: 'Done', wipLimit: null },
]
/** How long to wait for a first sync before creating the board while offline. */
export const OFFLINE_GRACE_MS = 1500

/**
 * Creates the board on first open, once we know it does not exist yet: after the first sync (another
 * device may have created it), or after 1.5 s without a connection (or with sync failing). Two devices that are both offline on
 * first open can each create it; when they sync, the second creation is rejected (`BoardExists`) and
 * its cards land on the first one's board (same column ids). That rejection is expected: it is dismissed.
 */
export function useEnsureBoard(board: string): void {
  const cairn = useCairn()
  const ready = useSyncStatus((s) => s.ready)
  const synced = useSyncStatus((s) => s.lastSyncedAt) !== null
  const connected = useSyncStatus((s) => s.connected)
  const failing = useSyncStatus((s) => s.lastError) !== null
  const [graceOver, setGraceOver] = useState(false)
  const started = useRef(false)
  const rejected = useSyncStatus((s) => s.rejected)

  useEffect(() => {
    const timer = setTimeout(() => setGraceOver(true), OFFLINE_GRACE_MS)
    return () => clearTimeout(timer)
  }, [])

  const due = ready && (synced || (graceOver && (!connected || failing)))
  useEffect(() => {
    if (!due || started.current) return
    started.current = true
    void (async () => {
      const columns = await cairn.query('columns.onBoard', board)
      if (columns.length > 0) return
      try {
        await cairn.execute('board.create', {
          id: board,
          input: { title: board, columns: DEFAULT_COLUMNS },
          expectedVersion: 'no_stream',
        })
      } catch (error) {
        const lost = isCairnError(error) && (error.name === 'ConcurrencyError' || error.code === 'BoardExists')
        if (!lost) console.error('Could not create the board', error)
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
