import { useBoardCommand } from '../hooks/use-board-command'

const CHOICES = [1, 2, 3, 4, 5, 6, 8, 10]

/** "2 / 3" (cards / WIP limit), and a menu to change the limit. */
export function WipLimit({
  board,
  column,
  count,
  limit,
}: {
  board: string
  column: string
  count: number
  limit: number | null
}) {
  const setLimit = useBoardCommand('board.setWipLimit')
  const full = limit !== null && count >= limit
  const choices = limit === null || CHOICES.includes(limit) ? CHOICES : [...CHOICES, limit].sort((a, b) => a - b)
  return (
    <div className="wip">
      <span
        className={`wip-count${full ? ' wip-full' : ''}`}
        data-testid={`count-${column}`}
        title={full ? 'This column is full' : undefined}
      >
        {limit === null ? count : `${count} / ${limit}`}
      </span>
      <select
        className="wip-select"
        aria-label="WIP limit"
        data-testid={`wip-limit-${column}`}
        value={limit ?? ''}
        onChange={(e) =>
          setLimit({
            id: board,
            space: board,
            input: { column, wipLimit: e.target.value === '' ? null : Number(e.target.value) },
          })
        }
      >
        <option value="">No limit</option>
        {choices.map((n) => (
          <option key={n} value={n}>
            WIP {n}
          </option>
        ))}
      </select>
    </div>
  )
}
