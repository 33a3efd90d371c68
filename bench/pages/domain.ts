/**
 * The benchmark domain: a `note` aggregate (stream `note:<id>`) with `add` and `rename`, and ONE inline
 * projection `notes` that writes one row per event. `notesV2` is the same domain with the projection's
 * version bumped: opening a database with it rebuilds `notes` from the log. A row's id is its stream's id: notes
 * of several spaces in one database need distinct ids (a stream belongs to one space).
 */
import { defineAggregate, defineDomain, defineEvents, defineProjection, event, table } from '@cairn/core/domain'

export const noteEvents = defineEvents({
  NoteAdded: event<{ title: string; body: string }>(),
  NoteRenamed: event<{ title: string }>(),
})

export const note = defineAggregate({
  name: 'note',
  events: noteEvents,
  initialState: () => ({ exists: false }),
  evolve: {
    NoteAdded: () => ({ exists: true }),
    NoteRenamed: (s) => s,
  },
  commands: {
    add: (s, input: { title: string; body: string }, ctx) =>
      s.exists ? ctx.reject('AlreadyExists') : ctx.event('NoteAdded', input),
    rename: (s, input: { title: string }, ctx) => (s.exists ? ctx.event('NoteRenamed', input) : ctx.reject('NotFound')),
  },
})

export interface NoteRow {
  id: string
  title: string
  body: string
  renamed: number
}

function notesProjection(version: number) {
  return defineProjection({
    name: 'notes',
    version,
    from: [note],
    table: table<NoteRow>({ key: 'id' }),
    on: {
      NoteAdded: (tx, e) => tx.put({ id: e.streamId, title: e.data.title, body: e.data.body, renamed: 0 }),
      NoteRenamed: async (tx, e) => {
        await tx.update(e.streamId, (row) => ({ ...row, title: e.data.title, renamed: row.renamed + 1 }))
      },
    },
    queries: {
      byId: (t, id: string) => t.get(id),
      count: (t) => t.count(),
      first: (t) => t.limit(20).toArray(),
      // Every row of one space (rows carry the space of the event that wrote them, indexed as `space`).
      bySpace: (t, space: string) => t.where('space').equals(space).toArray(),
    },
  })
}

export const notes = defineDomain({ aggregates: { note }, projections: { notes: notesProjection(1) } })
export const notesV2 = defineDomain({ aggregates: { note }, projections: { notes: notesProjection(2) } })
export type Notes = typeof notes

/** Deterministic note body (~100 bytes), so every run writes the same amount. */
export const body = (i: number) => `note ${i}: ${'lorem ipsum dolor sit amet '.repeat(3)}`
