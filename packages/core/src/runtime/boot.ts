import type { Dexie } from 'dexie'
import { uuidv7 } from '../domain/ids'
import { migrateSpaces } from '../store/migrate-spaces'
import { type IndexedDbDeps, openStore } from '../store/open'
import {
  type CheckpointRecord,
  type CommandRecord,
  HIGH_WATER,
  type MetaRecord,
  READ_SETS_SINCE,
} from '../store/records'
import type { LoadedDomain, RuntimeProjection } from './loaded-domain'
import { unknownTypeOf } from './project'
import { catchUp, type RebuildProgress } from './rebuild'
import type { RuntimeErrorReport } from './status'
import { toStorageError } from './storage-errors'

/** What booting needs. */
export interface BootOptions extends IndexedDbDeps {
  name: string
  /** Record undo for pending events (the runtime syncs). */
  recordUndo: boolean
  now: () => number
  onProgress: (progress: RebuildProgress | null) => void
  /** Where failures that must not stop the start are reported. */
  report: (error: RuntimeErrorReport) => void
  /** The space of events written before databases knew spaces (the configured sync space, or `default`). */
  legacySpace: string
}

/** An open, caught-up database. */
export interface Booted {
  db: Dexie
  clientId: string
  /** `aggregate.Type` of events in the log this code still does not know. */
  unknownTypes: string[]
}

/**
 * Opens the database and brings every projection up to the end of the log. Opening never fails because of
 * what the database holds: pending work, undo rows, quarantined events and another tab's half-finished
 * rebuild are normal states, an event a projection cannot apply is quarantined, and a projection whose
 * catch-up fails for another reason is reported in the status (and retried at the next start) while the
 * rest of the runtime starts.
 */
export async function boot(loaded: LoadedDomain, options: BootOptions): Promise<Booted> {
  const db = await openStore(options.name, loaded.domain, options)
  const meta = db.table<MetaRecord>('meta')
  const clientId = await db.transaction('rw', [meta, db.table('events')], async () => {
    await markReadSetsStart(db)
    const existing = await meta.get('clientId')
    if (existing) return existing.value as string
    const id = uuidv7()
    await meta.put({ key: 'clientId', value: id })
    return id
  })
  await migrateSpaces(db, options.legacySpace, options.now)
  const unknownTypes = await planRebuilds(db, loaded, options.recordUndo)
  for (const p of loaded.projections) {
    try {
      await catchUp(db, loaded, p, {
        onProgress: options.onProgress,
        recordUndo: options.recordUndo,
        now: options.now,
      })
    } catch (error) {
      const e = toStorageError(error)
      let message = e.message
      if (p.mode === 'inline') {
        // Its table is half built: commands must not write on top of it (the rebuild would apply them again).
        // The next start rebuilds it from scratch.
        loaded.suspend(p.name)
        await db
          .table<CheckpointRecord>('checkpoints')
          .delete(p.name)
          .catch(() => {})
        message += ` — projection '${p.name}' is not updated until the next start rebuilds it`
      }
      options.report({ where: `catch-up:${p.name}`, code: e.code, message, at: options.now() })
    }
  }
  options.onProgress(null)
  return { db, clientId, unknownTypes }
}

/**
 * Removes the checkpoints of projections that must be rebuilt from the log although their table did not change:
 * - events that an older version of the app skipped as unknown and this version knows;
 * - pending commands run while sync was off (no undo was recorded for them: a rebuild records it, so a rebase
 *   can roll them back).
 * Returns the event types still unknown.
 */
async function planRebuilds(db: Dexie, loaded: LoadedDomain, recordUndo: boolean): Promise<string[]> {
  const meta = db.table<MetaRecord>('meta')
  const [unknownRow, undoRow] = await Promise.all([meta.get('unknownEvents'), meta.get('undoRecorded')])
  const rebuild = new Set<RuntimeProjection>()
  const stillUnknown: string[] = []
  for (const key of (unknownRow?.value as string[] | undefined) ?? []) {
    const [aggregateName = '', rest = ''] = unknownTypeOf(key).split('.')
    const version = Number(key.slice(key.lastIndexOf('@') + 1))
    const definitions = loaded.aggregates.get(aggregateName)?.events
    const definition = definitions && Object.hasOwn(definitions, rest) ? definitions[rest] : undefined
    if (definition && definition.version >= version) {
      for (const p of loaded.projectionsOf(aggregateName)) rebuild.add(p)
    } else stillUnknown.push(key)
  }
  if (recordUndo && undoRow?.value !== true) {
    const pending = await db.table<CommandRecord>('commands').where('status').equals('pending').count()
    if (pending > 0) for (const p of loaded.projections) rebuild.add(p)
  }
  await db.transaction('rw', ['meta', 'checkpoints'], async (tx) => {
    for (const p of rebuild) await tx.table<CheckpointRecord>('checkpoints').delete(p.name)
    await tx.table('meta').bulkPut([
      { key: 'unknownEvents', value: stillUnknown },
      { key: 'undoRecorded', value: recordUndo },
    ])
  })
  return [...new Set(stillUnknown.map(unknownTypeOf))]
}

/**
 * Pending events from this position on have their reads in the undo log (READ_SETS_SINCE): set by the first
 * start that records them, past everything the database holds.
 */
async function markReadSetsStart(db: Dexie): Promise<void> {
  const meta = db.table<MetaRecord>('meta')
  if (await meta.get(READ_SETS_SINCE)) return
  const [lastKey, high] = await Promise.all([db.table('events').orderBy(':id').lastKey(), meta.get(HIGH_WATER)])
  const last = Math.max((lastKey as number | undefined) ?? 0, (high?.value as number | undefined) ?? 0)
  await meta.put({ key: READ_SETS_SINCE, value: last + 1 })
}
