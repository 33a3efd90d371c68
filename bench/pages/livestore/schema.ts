/** The bench's note app in LiveStore 0.4: one table, two synced events, materializers into SQLite. */
import { Events, makeSchema, Schema, State } from '@livestore/livestore'

export const tables = {
  notes: State.SQLite.table({
    name: 'notes',
    columns: {
      id: State.SQLite.text({ primaryKey: true }),
      title: State.SQLite.text({ default: '' }),
      body: State.SQLite.text({ default: '' }),
      renamed: State.SQLite.integer({ default: 0 }),
    },
  }),
}

export const events = {
  noteAdded: Events.synced({
    name: 'v1.NoteAdded',
    schema: Schema.Struct({ id: Schema.String, title: Schema.String, body: Schema.String }),
  }),
  noteRenamed: Events.synced({
    name: 'v1.NoteRenamed',
    schema: Schema.Struct({ id: Schema.String, title: Schema.String }),
  }),
}

const materializers = State.SQLite.materializers(events, {
  'v1.NoteAdded': ({ id, title, body }) => tables.notes.insert({ id, title, body, renamed: 0 }),
  'v1.NoteRenamed': ({ id, title }) => tables.notes.update({ title }).where({ id }),
})

export const schema = makeSchema({ events, state: State.SQLite.makeState({ tables, materializers }) })
