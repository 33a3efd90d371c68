import type { Dexie } from 'dexie'
import type { CheckpointRecord, EventRecord } from '../store/records'
import type { LoadedDomain, RuntimeProjection } from './loaded-domain'
import { parseStream } from './loaded-domain'
import { applyEvent, WriteSink } from './projector'
import { toRecorded } from './recorded'

/** Progress of a projection rebuild or catch-up. */
export interface RebuildProgress {
  projection: string
  done: number
  total: number
}

const CHUNK = 2000

/**
 * Brings one projection up to the end of the log: from scratch when its table changed (version, key, indexes or
 * mode), else from its checkpoint. Works in chunks, checkpointing after each, so that an interrupted rebuild
 * resumes where it stopped. An inline projection that is `ready` is current by construction (its rows are
 * written in the same transaction as the events), so it costs nothing at boot. Returns the events applied.
 */
export async function catchUp(
  db: Dexie,
  loaded: LoadedDomain,
  projection: RuntimeProjection,
  onProgress?: (progress: RebuildProgress) => void,
  /** Record undo for pending events (only with sync: without a server nothing is ever rolled back). */
  recordUndo = false,
): Promise<number> {
  const checkpoints = db.table<CheckpointRecord>('checkpoints')
  const events = db.table<EventRecord>('events')
  const table = db.table(projection.tableName)
  const name = projection.name
  const checkpoint = await checkpoints.get(name)
  let position = 0
  if (checkpoint && checkpoint.table === projection.tableName) {
    if (projection.mode === 'inline' && checkpoint.state === 'ready') return 0
    position = checkpoint.position
  } else {
    await db.transaction('rw', [table, checkpoints], async (tx) => {
      await tx.table(projection.tableName).clear()
      await tx
        .table('checkpoints')
        .put({ projection: name, table: projection.tableName, position: 0, state: 'rebuilding' })
    })
  }
  const sources = new Set(projection.from)
  let total = onProgress ? await events.where('lpos').above(position).count() : 0
  let done = 0
  if (total > 0) onProgress?.({ projection: name, done, total })
  // Pending events (not yet confirmed by a server) are applied with an undo record, like inline ones, so a
  // rebase can roll their effects back. Offsets keep each projection's undo rows apart.
  const undoOffset = 1_000_000 * (1 + loaded.projections.findIndex((p) => p.name === name))
  for (;;) {
    const step = await db.transaction('rw', [events, table, checkpoints, db.table('undo')], async (tx) => {
      // Read the chunk and re-check the checkpoint in one transaction: a pull may have moved it back.
      const current = await tx.table<CheckpointRecord>('checkpoints').get(name)
      if (current && current.table === projection.tableName && current.position !== position) {
        return { moved: current.position }
      }
      const chunk = await tx.table<EventRecord>('events').where('lpos').above(position).limit(CHUNK).toArray()
      if (chunk.length === 0) {
        await tx.table('checkpoints').put({ projection: name, table: projection.tableName, position, state: 'ready' })
        return { finished: true as const }
      }
      const writes = new WriteSink()
      for (const record of chunk) {
        if (!sources.has(parseStream(record.stream).aggregate)) continue
        const definitions = loaded.aggregates.get(parseStream(record.stream).aggregate)?.events
        await applyEvent(tx, [projection], toRecorded(record, definitions), {
          recordUndo: recordUndo && record.gpos === undefined,
          writes,
          undoOffset,
        })
      }
      const last = chunk[chunk.length - 1]?.lpos ?? position
      await tx
        .table('checkpoints')
        .put({ projection: name, table: projection.tableName, position: last, state: 'rebuilding' })
      writes.throwIfFailed()
      return { applied: chunk.length, last }
    })
    if ('moved' in step) {
      position = step.moved
      continue
    }
    if ('finished' in step) break
    position = step.last
    done += step.applied
    if (done > total) total = done
    onProgress?.({ projection: name, done, total })
  }
  return done
}
