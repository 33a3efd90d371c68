/**
 * The example domain every part of Cairn reuses: a kanban board.
 * - `board` aggregate (stream `board:<id>`): columns with WIP limits and where each card sits. It enforces
 *   the WIP limit, so two offline moves into a column with one free slot cannot both stand.
 * - `card` aggregate (stream `card:<id>`): the card's text. Edits of different cards never conflict.
 * - `cards` and `columns` projections: what the board UI reads.
 * The people of a board, whose names are personal data (crypto-shredding), are in `./members`
 * (`@cairn/example-kanban/members`): a domain of its own that adds them to this one.
 */
import {
  defineAggregate,
  defineDomain,
  defineEvents,
  defineProjection,
  event,
  type ProjectionTx,
  table,
} from '@cairn/core/domain'

export const boardEvents = defineEvents({
  BoardCreated: event<{ title: string }>(),
  ColumnAdded: event<{ column: string; title: string; wipLimit: number | null }>(),
  WipLimitSet: event<{ column: string; wipLimit: number | null }>(),
  /** `author`: the user id of whoever added the card (optional: older cards have none). Never their name. */
  CardAdded: event<{ cardId: string; title: string; column: string; author?: string }>(),
  CardMoved: event<{ cardId: string; from: string; to: string }>(),
  CardArchived: event<{ cardId: string; column: string }>(),
})

export interface BoardState {
  exists: boolean
  columns: Record<string, { wipLimit: number | null; cards: string[] }>
  cardColumn: Record<string, string>
}

const withoutCard = (cards: string[], cardId: string) => cards.filter((c) => c !== cardId)

export const board = defineAggregate({
  name: 'board',
  events: boardEvents,
  initialState: (): BoardState => ({ exists: false, columns: {}, cardColumn: {} }),
  evolve: {
    BoardCreated: (s) => ({ ...s, exists: true }),
    ColumnAdded: (s, e) => ({
      ...s,
      columns: { ...s.columns, [e.data.column]: { wipLimit: e.data.wipLimit, cards: [] } },
    }),
    WipLimitSet: (s, e) => {
      const col = s.columns[e.data.column]
      return col ? { ...s, columns: { ...s.columns, [e.data.column]: { ...col, wipLimit: e.data.wipLimit } } } : s
    },
    CardAdded: (s, e) => {
      const col = s.columns[e.data.column] ?? { wipLimit: null, cards: [] }
      return {
        ...s,
        columns: { ...s.columns, [e.data.column]: { ...col, cards: [...col.cards, e.data.cardId] } },
        cardColumn: { ...s.cardColumn, [e.data.cardId]: e.data.column },
      }
    },
    CardMoved: (s, e) => {
      const from = s.columns[e.data.from] ?? { wipLimit: null, cards: [] }
      const to = s.columns[e.data.to] ?? { wipLimit: null, cards: [] }
      return {
        ...s,
        columns: {
          ...s.columns,
          [e.data.from]: { ...from, cards: withoutCard(from.cards, e.data.cardId) },
          [e.data.to]: { ...to, cards: [...withoutCard(to.cards, e.data.cardId), e.data.cardId] },
        },
        cardColumn: { ...s.cardColumn, [e.data.cardId]: e.data.to },
      }
    },
    CardArchived: (s, e) => {
      const col = s.columns[e.data.column] ?? { wipLimit: null, cards: [] }
      const { [e.data.cardId]: _, ...cardColumn } = s.cardColumn
      return {
        ...s,
        columns: { ...s.columns, [e.data.column]: { ...col, cards: withoutCard(col.cards, e.data.cardId) } },
        cardColumn,
      }
    },
  },
  commands: {
    create: (s, input: { title: string; columns: { id: string; title: string; wipLimit?: number | null }[] }, ctx) => {
      if (s.exists) return ctx.reject('BoardExists', 'This board already exists')
      return [
        ctx.event('BoardCreated', { title: input.title }),
        ...input.columns.map((c) =>
          ctx.event('ColumnAdded', { column: c.id, title: c.title, wipLimit: c.wipLimit ?? null }),
        ),
      ]
    },
    setWipLimit: (s, input: { column: string; wipLimit: number | null }, ctx) => {
      const col = s.columns[input.column]
      if (!col) return ctx.reject('NoSuchColumn', `There is no column '${input.column}'`)
      if (input.wipLimit !== null && (!Number.isInteger(input.wipLimit) || input.wipLimit < 1)) {
        return ctx.reject('InvalidWipLimit', 'A WIP limit is a whole number of at least 1')
      }
      return ctx.event('WipLimitSet', input)
    },
    addCard: (s, input: { cardId: string; title: string; column: string; author?: string }, ctx) => {
      const col = s.columns[input.column]
      if (!s.exists || !col) return ctx.reject('NoSuchColumn', `There is no column '${input.column}'`)
      if (s.cardColumn[input.cardId]) return ctx.reject('CardExists', 'This card is already on the board')
      if (input.title.trim() === '') return ctx.reject('EmptyTitle', 'A card needs a title')
      if (col.wipLimit !== null && col.cards.length >= col.wipLimit) {
        return ctx.reject('WipLimitReached', `${input.column} is full (WIP limit ${col.wipLimit})`)
      }
      return ctx.event('CardAdded', input)
    },
    moveCard: (s, input: { cardId: string; to: string }, ctx) => {
      const from = s.cardColumn[input.cardId]
      if (from === undefined) return ctx.reject('NoSuchCard', 'This card is not on the board')
      const to = s.columns[input.to]
      if (!to) return ctx.reject('NoSuchColumn', `There is no column '${input.to}'`)
      if (from === input.to) return undefined
      if (to.wipLimit !== null && to.cards.length >= to.wipLimit) {
        return ctx.reject('WipLimitReached', `${input.to} is full (WIP limit ${to.wipLimit})`)
      }
      return ctx.event('CardMoved', { cardId: input.cardId, from, to: input.to })
    },
    archiveCard: (s, input: { cardId: string }, ctx) => {
      const column = s.cardColumn[input.cardId]
      if (column === undefined) return ctx.reject('NoSuchCard', 'This card is not on the board')
      return ctx.event('CardArchived', { cardId: input.cardId, column })
    },
  },
})

export const cardEvents = defineEvents({
  CardRenamed: event<{ title: string }>(),
  CardDescribed: event<{ description: string }>(),
})

export const card = defineAggregate({
  name: 'card',
  events: cardEvents,
  initialState: () => ({ title: '', description: '' }),
  evolve: {
    CardRenamed: (s, e) => ({ ...s, title: e.data.title }),
    CardDescribed: (s, e) => ({ ...s, description: e.data.description }),
  },
  commands: {
    rename: (s, input: { title: string }, ctx) => {
      if (input.title.trim() === '') return ctx.reject('EmptyTitle', 'A card needs a title')
      if (input.title === s.title) return undefined
      return ctx.event('CardRenamed', { title: input.title })
    },
    describe: (_s, input: { description: string }, ctx) => ctx.event('CardDescribed', input),
  },
})

/** A card as the board shows it. */
export interface CardRow {
  id: string
  board: string
  column: string
  title: string
  description: string
  archived: 0 | 1
  updatedAt: number
  /**
   * The user id of whoever added the card, when the app said (`board.addCard`'s `author`). Only the id: the name
   * is the member's (`members.ts`), so forgetting the member erases it from every card at once.
   */
  author?: string
}

export const cards = defineProjection({
  name: 'cards',
  version: 1,
  from: [board, card],
  table: table<CardRow>({ key: 'id', indexes: ['[board+column]', 'board', 'updatedAt'] }),
  on: {
    CardAdded: (tx, e) =>
      tx.put({
        id: e.data.cardId,
        board: e.streamId,
        column: e.data.column,
        title: e.data.title,
        description: '',
        archived: 0,
        updatedAt: e.meta.issuedAt,
        ...(e.data.author === undefined ? {} : { author: e.data.author }),
      }),
    CardMoved: async (tx, e) => {
      await tx.update(e.data.cardId, { column: e.data.to, updatedAt: e.meta.issuedAt })
    },
    CardArchived: async (tx, e) => {
      await tx.update(e.data.cardId, { archived: 1, updatedAt: e.meta.issuedAt })
    },
    CardRenamed: async (tx, e) => {
      await tx.update(e.streamId, { title: e.data.title, updatedAt: e.meta.issuedAt })
    },
    CardDescribed: async (tx, e) => {
      await tx.update(e.streamId, { description: e.data.description, updatedAt: e.meta.issuedAt })
    },
  },
  queries: {
    byColumn: (t, where: { board: string; column: string }) =>
      t
        .where('[board+column]')
        .equals([where.board, where.column])
        .filter((c) => c.archived === 0)
        .sortBy('updatedAt'),
    onBoard: (t, boardId: string) =>
      t
        .where('board')
        .equals(boardId)
        .filter((c) => c.archived === 0)
        .toArray(),
    byId: (t, id: string) => t.get(id),
    /**
     * Every open card of every board in the database, most recently changed first. A database holds the boards
     * (spaces) it joined, and leaving one deletes its rows: this is "the cards of my boards".
     */
    acrossBoards: (t) =>
      t
        .orderBy('updatedAt')
        .reverse()
        .filter((c) => c.archived === 0)
        .toArray(),
  },
})

/** A column as the board shows it. `cardIds` makes every handler idempotent (applying an event twice is harmless). */
export interface ColumnRow {
  id: string
  board: string
  column: string
  title: string
  wipLimit: number | null
  cardIds: string[]
  order: number
}

const columnKey = (boardId: string, column: string) => `${boardId}/${column}`

async function setMembership(tx: ProjectionTx<ColumnRow>, key: string, cardId: string, member: boolean) {
  await tx.update(key, (row) => {
    const others = row.cardIds.filter((id) => id !== cardId)
    return { ...row, cardIds: member ? [...others, cardId] : others }
  })
}

export const columns = defineProjection({
  name: 'columns',
  version: 1,
  from: [board],
  table: table<ColumnRow>({ key: 'id', indexes: ['board', '[board+order]'] }),
  on: {
    ColumnAdded: async (tx, e) => {
      const key = columnKey(e.streamId, e.data.column)
      const existing = await tx.get(key)
      const order = existing?.order ?? (await tx.table.where('board').equals(e.streamId).count())
      await tx.put({
        id: key,
        board: e.streamId,
        column: e.data.column,
        title: e.data.title,
        wipLimit: e.data.wipLimit,
        cardIds: existing?.cardIds ?? [],
        order,
      })
    },
    WipLimitSet: async (tx, e) => {
      await tx.update(columnKey(e.streamId, e.data.column), { wipLimit: e.data.wipLimit })
    },
    CardAdded: (tx, e) => setMembership(tx, columnKey(e.streamId, e.data.column), e.data.cardId, true),
    CardMoved: async (tx, e) => {
      await setMembership(tx, columnKey(e.streamId, e.data.from), e.data.cardId, false)
      await setMembership(tx, columnKey(e.streamId, e.data.to), e.data.cardId, true)
    },
    CardArchived: (tx, e) => setMembership(tx, columnKey(e.streamId, e.data.column), e.data.cardId, false),
  },
  queries: {
    onBoard: (t, boardId: string) =>
      t.where('[board+order]').between([boardId, -Infinity], [boardId, Infinity]).toArray(),
  },
})

export const kanban = defineDomain({
  aggregates: { board, card },
  projections: { cards, columns },
})

export type Kanban = typeof kanban

/** The board the examples and tests start from: To do, Doing (WIP 1), Done. */
export const teamBoard = {
  title: 'Team',
  columns: [
    { id: 'todo', title: 'To do' },
    { id: 'doing', title: 'Doing', wipLimit: 1 },
    { id: 'done', title: 'Done' },
  ],
}
