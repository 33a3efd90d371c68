import type { RejectedCommand } from '@cairn/core'
import { useQuery } from '@cairn/react'
import { describeCommand, sentence } from '../describe-command'

interface RejectionItemProps {
  /** The board on screen (none on "My cards"). */
  board: string | null
  rejection: RejectedCommand
  whileSyncing: boolean
  onDismiss: () => void
}

export function RejectionItem({ board, rejection: r, whileSyncing, onDismiss }: RejectionItemProps) {
  const { cardId } = (r.input ?? {}) as { cardId?: unknown }
  // Name things as the board shows them: the card's title, the columns' titles.
  const { data: card } = useQuery('cards.byId', typeof cardId === 'string' ? cardId : '', {
    enabled: typeof cardId === 'string',
  })
  // The board it was on: its space (each board is a space), else the card's own board, else the one on screen.
  const where = r.space !== '' ? r.space : (card?.board ?? board)
  const { data: columns = [] } = useQuery('columns.onBoard', where ?? '', { enabled: where !== null })
  const titles = new Map(columns.map((c) => [c.column, c.title]))
  return (
    <li data-testid={`rejection-${r.commandId}`} data-code={r.code}>
      <div className="rejection-text">
        <strong>{sentence(r.message)}</strong>
        <span>
          {describeCommand(r.path, r.input, { card: card?.title, column: (id) => titles.get(id) ?? id })} ·{' '}
          {whileSyncing ? 'rejected while syncing' : 'rejected'} at {new Date(r.at).toLocaleTimeString()}
        </span>
      </div>
      <button
        type="button"
        className="icon"
        data-testid={`dismiss-${r.commandId}`}
        aria-label="Dismiss"
        onClick={onDismiss}
      >
        ×
      </button>
    </li>
  )
}
