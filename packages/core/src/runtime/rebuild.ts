import type { Dexie } from 'dexie'
import type { CheckpointRecord, EventRecord } from '../store/records'
import type { RuntimeProjection } from './loaded-domain'
import { parseStream } from './loaded-domain'
import { applyEvent } from './projector'
import { toRecorded } from './recorded'

/** Progress of a projection rebuild or catch-up. */
export interface RebuildProgress {
  projection: string
  done: number
  total: number
}

const CHUNK = 2000

/**
 * Brings one projection up to the end of the log: from scratch when its table changed (version, key or
 * indexes), else from its checkpoint. Works in chunks, checkpointing after each, so that an interrupted
 * rebuild resumes where it stopped. Returns the number of events applied.
 */
export async function catchUp(
  db: Dexie,
  projection: RuntimeProjection,
  onProgress: (progress: RebuildProgress) => void,
): Promise<number> {
  const checkpoints = db.table<CheckpointRecord>('checkpoints')
  const events = db.table<EventRecord>('events')
  const table = db.table(projection.tableName)
  const checkpoint = await checkpoints.get(projection.name)
  let position = 0
  if (checkpoint && checkpoint.table === projection.tableName) {
    position = checkpoint.position
  } else {
    await db.transaction('rw', [table, checkpoints], async () => {
      await table.clear()
      await checkpoints.put({
        projection: projection.name,
        table: projection.tableName,
        position: 0,
        state: 'rebuilding',
      })
    })
  }
  const sources = new Set(projection.from)
  const total = await events.where('lpos').above(position).count()
  if (total === 0) {
    if (checkpoint?.state !== 'ready' || checkpoint.table !== projection.tableName) {
      await checkpoints.put({ projection: projection.name, table: projection.tableName, position, state: 'ready' })
    }
    return 0
  }
  let done = 0
  onProgress({ projection: projection.name, done, total })
  for (;;) {
    const chunk = await events.where('lpos').above(position).limit(CHUNK).toArray()
    if (chunk.length === 0) break
    await db.transaction('rw', [table, checkpoints, db.table('undo')], async () => {
      for (const record of chunk) {
        if (!sources.has(parseStream(record.stream).aggregate)) continue
        await applyEvent(db, [projection], toRecorded(record), { recordUndo: false })
      }
      const last = chunk[chunk.length - 1]?.lpos ?? position
      await checkpoints.put({
        projection: projection.name,
        table: projection.tableName,
        position: last,
        state: 'rebuilding',
      })
    })
    position = chunk[chunk.length - 1]?.lpos ?? position
    done += chunk.length
    onProgress({ projection: projection.name, done: Math.min(done, total), total })
  }
  await checkpoints.put({ projection: projection.name, table: projection.tableName, position, state: 'ready' })
  return done
}
