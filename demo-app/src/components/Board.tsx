import { useQuery } from '@cairn/react'
import { useKeyError } from '../hooks/use-encryption'
import { Column } from './Column'

export function Board({ board }: { board: string }) {
  const { data: columns, error } = useQuery('columns.onBoard', board)
  const locked = useKeyError(board) !== null
  if (error) return <p className="notice notice-error">Could not load the board: {error.message}</p>
  if (!columns || columns.length === 0) {
    return (
      <p className="notice" data-testid="board-loading">
        {locked ? `“${board}” is locked: its cards show once this device has its key.` : `Setting up board “${board}”…`}
      </p>
    )
  }
  return (
    <div className="board" data-testid="board">
      {columns.map((row, i) => (
        <Column
          key={row.id}
          board={board}
          row={row}
          previous={columns[i - 1]?.column ?? null}
          next={columns[i + 1]?.column ?? null}
        />
      ))}
    </div>
  )
}
