import { isRedacted } from '@cairn/core'
import type { MemberRow } from '@cairn/example-kanban/members'
import { useQuery } from '@cairn/react'
import { useMemo, useSyncExternalStore } from 'react'
import { type LocalUser, localUser, nameLater, subscribeUser } from '../user'

/** The user of this browser (id and display name), live across tabs. */
export function useUser(): LocalUser {
  return useSyncExternalStore(subscribeUser, localUser)
}

/** Whether the user chose "Not now" on the name prompt (this tab). */
export function useNameLater(): boolean {
  return useSyncExternalStore(subscribeUser, nameLater)
}

/** What the board shows for a member's name: theirs, or "(forgotten)" once they were forgotten. */
export function displayName(name: string): string {
  return isRedacted(name) ? '(forgotten)' : name
}

/** The members of a board, by user id. */
export function useMembers(board: string): Map<string, MemberRow> {
  const { data } = useQuery('members.onBoard', board)
  return useMemo(() => new Map((data ?? []).map((m) => [m.userId, m])), [data])
}
