import { isRedacted } from '@cairn/core'
import { useQuery } from '@cairn/react'
import { displayName, useUser } from '../hooks/use-user'

/** Who is on the board: its members' names ("(forgotten)" once a member was forgotten). */
export function BoardMembers({ board }: { board: string }) {
  const { data: members = [] } = useQuery('members.onBoard', board)
  const me = useUser()
  if (members.length === 0) return null
  return (
    <ul className="members" data-testid="board-members" aria-label="People on this board">
      {members.map((m) => {
        const forgotten = isRedacted(m.name)
        return (
          <li
            key={m.id}
            className={`member${forgotten ? ' member-forgotten' : ''}`}
            data-testid={`member-${m.userId}`}
            data-forgotten={forgotten}
            title={forgotten ? 'This person was forgotten: their name is erased everywhere' : undefined}
          >
            {displayName(m.name)}
            {m.userId === me.id && <span className="member-you"> (you)</span>}
          </li>
        )
      })}
    </ul>
  )
}
