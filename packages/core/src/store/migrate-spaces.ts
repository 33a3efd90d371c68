import type { Dexie } from 'dexie'
import type { CommandRecord, EventRecord, MetaRecord, SpaceRecord } from './records'

const MIGRATED = 'spacesMigrated'

/**
 * Brings a database from before many spaces (one space per database, its cursor in `meta`) to the spaces
 * model, once: every event and command gets the space the database synced (or `fallback`), and that space
 * becomes a joined space with its cursor and server identity.
 */
export async function migrateSpaces(db: Dexie, fallback: string, now: () => number): Promise<void> {
  const meta = db.table<MetaRecord>('meta')
  if ((await meta.get(MIGRATED))?.value === true) return
  await db.transaction('rw', ['events', 'commands', 'meta', 'spaces'], async (tx) => {
    const m = tx.table<MetaRecord>('meta')
    const [space, cursor, backendId] = await Promise.all([m.get('space'), m.get('cursor'), m.get('backendId')])
    const legacy = (space?.value as string | undefined) ?? fallback
    await tx
      .table<EventRecord>('events')
      .filter((e) => e.space === undefined)
      .modify({ space: legacy })
    await tx
      .table<CommandRecord>('commands')
      .filter((c) => c.space === undefined)
      .modify({ space: legacy })
    if (space !== undefined || cursor !== undefined || backendId !== undefined) {
      // A cursor recorded before spaces were cannot say which space it belongs to: pull that space from the start.
      const row: SpaceRecord = {
        space: legacy,
        cursor: space === undefined ? 0 : ((cursor?.value as number | undefined) ?? 0),
        joinedAt: now(),
        ...(backendId === undefined ? {} : { backendId: backendId.value as string }),
      }
      if (!(await tx.table<SpaceRecord>('spaces').get(legacy))) await tx.table<SpaceRecord>('spaces').put(row)
    }
    await m.bulkDelete(['space', 'cursor', 'backendId'])
    await m.put({ key: MIGRATED, value: true })
  })
}
