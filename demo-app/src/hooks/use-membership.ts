import { isRedacted } from '@cairn/core'
import { memberId } from '@cairn/example-kanban/members'
import { useCairn, useSyncStatus } from '@cairn/react'
import { useEffect } from 'react'
import { isKeyError } from '../passphrase'
import { isForgetting } from '../user'
import { useUser } from './use-user'

/**
 * Makes the user, once they gave a name, a member of every board this device joined: `member.join` where they are
 * not one yet, `member.rename` where their name changed. Only on boards synced at least once since the page
 * loaded (so a board joined again after leaving it does not join its member twice), never on a board whose
 * events wait for a key, never while this tab forgets the user, and never over a forgotten (redacted) name.
 * The commands carry no command id: a refusal (a race with another tab) leaves nothing in the journal.
 */
export function useMembership(): void {
  const cairn = useCairn()
  const user = useUser()
  const boards = useSyncStatus((s) =>
    Object.entries(s.spaces)
      .filter(([, space]) => space.lastSyncedAt != null && !isKeyError(space.lastError?.code))
      .map(([board]) => board)
      .sort()
      .join('\n'),
  )

  useEffect(() => {
    const name = user.name
    if (name === null || boards === '') return
    let cancelled = false
    void (async () => {
      for (const board of boards.split('\n')) {
        if (cancelled || isForgetting()) return
        const id = memberId(board, user.id)
        try {
          const row = await cairn.query('members.byId', id)
          if (cancelled || isForgetting()) return
          if (!row) {
            await cairn.execute('member.join', {
              id,
              space: board,
              input: { userId: user.id, name },
              expectedVersion: 'no_stream',
            })
          } else if (!isRedacted(row.name) && row.name !== name) {
            await cairn.execute('member.rename', { id, space: board, input: { name } })
          }
        } catch (error) {
          console.warn(`Could not update your membership of '${board}'`, error)
        }
      }
    })()
    return () => {
      cancelled = true
    }
  }, [cairn, user.id, user.name, boards])
}
