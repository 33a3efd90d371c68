/**
 * The people of a kanban board, whose display names are personal data (crypto-shredding, issue 16).
 * - `member` aggregate (stream `member:<board>/<userId>`: a stream belongs to one space, a board is a space, so a
 *   user has one member stream per board). `MemberJoined` and `MemberRenamed` declare `name` personal, with the
 *   user id as subject: it travels and is stored on the server sealed with the user's key, and after
 *   `forgetSubject(userId)` every device reads it as `REDACTED`.
 * - `members` projection: who is on a board, and the name to show for a card's `author` (a user id).
 * Cards keep only their author's id, never a name: one forget erases the name from the board, its cards and
 * every device, without touching a card event.
 *
 * `kanbanWithMembers` is the kanban domain plus these. It is a module of its own so that `kanban` (and every
 * test typed by it) stays exactly what it was.
 */
import {
  defineAggregate,
  defineDomain,
  defineEvents,
  defineProjection,
  event,
  isRedacted,
  table,
} from '@cairn/core/domain'
import { board, card, cards, columns } from './index'

/** The subject of a member's personal data is the user id. */
const personalName = { subject: (d: { userId: string }) => d.userId, fields: ['name'] as const }

export const memberEvents = defineEvents({
  MemberJoined: event<{ userId: string; name: string }>({ personal: personalName }),
  MemberRenamed: event<{ userId: string; name: string }>({ personal: personalName }),
})

/** The id of a user's member aggregate on a board (board names cannot hold a `/`). */
export const memberId = (boardId: string, userId: string): string => `${boardId}/${userId}`

/** The longest display name accepted. */
export const MAX_NAME_LENGTH = 60

export interface MemberState {
  joined: boolean
  userId: string
  /** `REDACTED` once the member was forgotten. */
  name: string
}

/** Why a display name is refused, if it is. */
export function nameProblem(name: string): string | null {
  const trimmed = name.trim()
  if (trimmed === '') return 'A name cannot be empty'
  if (trimmed.length > MAX_NAME_LENGTH) return `A name has at most ${MAX_NAME_LENGTH} characters`
  return null
}

export const member = defineAggregate({
  name: 'member',
  events: memberEvents,
  initialState: (): MemberState => ({ joined: false, userId: '', name: '' }),
  evolve: {
    MemberJoined: (_s, e) => ({ joined: true, userId: e.data.userId, name: e.data.name }),
    MemberRenamed: (s, e) => ({ ...s, name: e.data.name }),
  },
  commands: {
    join: (s, input: { userId: string; name: string }, ctx) => {
      if (s.joined) return ctx.reject('AlreadyJoined', 'Already a member of this board')
      if (input.userId === '' || !ctx.id.endsWith(`/${input.userId}`))
        return ctx.reject('WrongMember', 'A member joins as itself: the id is <board>/<userId>')
      const problem = nameProblem(input.name)
      if (problem) return ctx.reject('InvalidName', problem)
      return ctx.event('MemberJoined', { userId: input.userId, name: input.name.trim() })
    },
    // Reads personal data: copes with a forgotten (redacted) name.
    rename: (s, input: { name: string }, ctx) => {
      if (!s.joined) return ctx.reject('NotJoined', 'Not a member of this board')
      if (isRedacted(s.name)) return ctx.reject('Forgotten', 'This member was forgotten')
      const problem = nameProblem(input.name)
      if (problem) return ctx.reject('InvalidName', problem)
      // A rejection, not a no-op: nothing to journal.
      if (input.name.trim() === s.name) return ctx.reject('SameName', 'That is already the name')
      return ctx.event('MemberRenamed', { userId: s.userId, name: input.name.trim() })
    },
  },
})

/** A member of a board as the board shows it. */
export interface MemberRow {
  /** `<board>/<userId>` */
  id: string
  board: string
  userId: string
  /** `REDACTED` once the member was forgotten (test with `isRedacted`). */
  name: string
  joinedAt: number
}

export const members = defineProjection({
  name: 'members',
  version: 1,
  from: [member],
  table: table<MemberRow>({ key: 'id', indexes: ['board', 'userId'] }),
  on: {
    MemberJoined: (tx, e) =>
      tx.put({
        id: e.streamId,
        board: e.streamId.slice(0, e.streamId.lastIndexOf('/')),
        userId: e.data.userId,
        name: e.data.name,
        joinedAt: e.meta.issuedAt,
      }),
    MemberRenamed: async (tx, e) => {
      await tx.update(e.streamId, { name: e.data.name })
    },
  },
  queries: {
    /** The members of a board, first joined first. */
    onBoard: (t, boardId: string) => t.where('board').equals(boardId).sortBy('joinedAt'),
    byId: (t, id: string) => t.get(id),
  },
})

export const kanbanWithMembers = defineDomain({
  aggregates: { board, card, member },
  projections: { cards, columns, members },
})

export type KanbanWithMembers = typeof kanbanWithMembers
