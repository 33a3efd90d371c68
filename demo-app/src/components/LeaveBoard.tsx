import { isCairnError } from '@cairn/core'
import { useCairn } from '@cairn/react'
import { useState } from 'react'
import { forgetToken } from '../config'
import { forgetEncryption } from '../encrypted-boards'

type LeaveState =
  | { step: 'idle' }
  | { step: 'leaving' }
  /** The board has work the server has not confirmed: leaving now would discard it. */
  | { step: 'unsynced'; pending: number }
  | { step: 'failed'; message: string }

/**
 * Leaves a board: its events, commands and cards are removed from this device (every tab, every view), and its
 * token (and, for an encrypted board, what the page knew of its key) forgotten. The server keeps the board: opening it again brings it back. With unsynced work, the runtime
 * refuses (`UNSYNCED_WORK`) and this asks whether to discard that work.
 */
export function LeaveBoard({ board, joined, onLeft }: { board: string; joined: boolean; onLeft: () => void }) {
  const cairn = useCairn()
  const [state, setState] = useState<LeaveState>({ step: 'idle' })

  const leave = async (discardPending: boolean) => {
    setState({ step: 'leaving' })
    try {
      await cairn.leaveSpace(board, { discardPending })
      forgetToken(board)
      forgetEncryption(board)
      onLeft()
    } catch (error) {
      if (isCairnError(error) && error.code === 'UNSYNCED_WORK') {
        const { pending } = (error.details ?? {}) as { pending?: number }
        setState({ step: 'unsynced', pending: pending ?? 0 })
      } else setState({ step: 'failed', message: error instanceof Error ? error.message : String(error) })
    }
  }

  return (
    <div className="leave">
      <button
        type="button"
        className="leave-button"
        data-testid="leave-board"
        disabled={!joined || state.step === 'leaving'}
        title="Remove this board and its cards from this device (the server keeps it)"
        onClick={() => void leave(false)}
      >
        Leave board
      </button>
      {state.step === 'unsynced' && (
        <div
          className="leave-warning"
          role="alertdialog"
          aria-labelledby="leave-warning-text"
          data-testid="leave-warning"
        >
          <p id="leave-warning-text">
            <strong>
              {state.pending === 1 ? '1 change' : `${state.pending} changes`} to “{board}”{' '}
              {state.pending === 1 ? 'is' : 'are'} not synced yet.
            </strong>{' '}
            Leaving now discards {state.pending === 1 ? 'it' : 'them'}; keep the board to let{' '}
            {state.pending === 1 ? 'it' : 'them'} sync when the server can be reached.
          </p>
          <button type="button" className="danger" data-testid="leave-discard" onClick={() => void leave(true)}>
            Discard and leave
          </button>
          <button type="button" data-testid="leave-cancel" onClick={() => setState({ step: 'idle' })}>
            Keep the board
          </button>
        </div>
      )}
      {state.step === 'failed' && (
        <p className="leave-failed" role="alert" data-testid="leave-failed">
          Could not leave the board: {state.message}
        </p>
      )}
    </div>
  )
}
