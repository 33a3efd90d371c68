import { Dexie, type Table, type Transaction } from 'dexie'
import { keyRangeOf } from '../store/open'
import type { CheckpointRecord, EventRecord, QuarantineRecord, UndoRecord } from '../store/records'
import type { LoadedDomain, RuntimeProjection } from './loaded-domain'
import { parseStream } from './loaded-domain'
import { Projecting, withQuarantine } from './project'
import { WriteSink } from './projector'
import { idbOf, request } from './raw'
import { RowOverlay } from './row-overlay'

/** Progress of a projection rebuild or catch-up. */
export interface RebuildProgress {
  projection: string
  done: number
  total: number
}

/** What a catch-up did. */
export interface CatchUpOutcome {
  /** Events read past the checkpoint. */
  applied: number
  /** Events quarantined on the way. */
  quarantined: QuarantineRecord[]
  /** `aggregate.Type@version` of events skipped as unknown to this code. */
  unknown: string[]
}

/**
 * Events per chunk (one transaction each). Measured on bench scenario 5 (102k events): 2,000 → 5,000 cuts
 * the per-transaction costs (commit, checkpoint) by more than half; 10,000 gained nothing more.
 */
const CHUNK = 5000
/**
 * Rows the overlay holds before it is written (mid-chunk): IndexedDB stores the first rows while the handlers
 * apply the next events, instead of every row waiting for the end of the chunk.
 */
const FLUSH_AT = 500

type Step = { moved: number } | { finished: true } | { applied: number; last: number; projecting: Projecting }

/**
 * Brings one projection up to the end of the log: from scratch when its table changed (version, key, indexes or
 * mode) or its checkpoint was removed, else from its checkpoint. Works in chunks, checkpointing after each, so
 * an interrupted rebuild resumes where it stopped, and two tabs rebuilding at once share the work (each chunk
 * re-checks the checkpoint in its own transaction). An inline projection that is `ready` is current by
 * construction (its rows are written with the events), so it costs nothing at boot. An event the projection
 * cannot apply is quarantined and the rebuild moves on.
 */
export async function catchUp(
  db: Dexie,
  loaded: LoadedDomain,
  projection: RuntimeProjection,
  options: {
    onProgress?: ((progress: RebuildProgress) => void) | undefined
    /** Record undo for pending events (only with sync: without a server nothing is ever rolled back). */
    recordUndo?: boolean
    now?: () => number
  } = {},
): Promise<CatchUpOutcome> {
  const { onProgress } = options
  const checkpoints = db.table<CheckpointRecord>('checkpoints')
  const events = db.table<EventRecord>('events')
  const name = projection.name
  const outcome: CatchUpOutcome = { applied: 0, quarantined: [], unknown: [] }
  const checkpoint = await checkpoints.get(name)
  let position = 0
  if (checkpoint && checkpoint.table === projection.tableName) {
    if (projection.mode === 'inline' && checkpoint.state === 'ready') return outcome
    position = checkpoint.position
  } else {
    await startRebuild(db, projection)
  }
  let total = onProgress ? await events.where('lpos').above(position).count() : 0
  let done = 0
  if (total > 0) onProgress?.({ projection: name, done, total })
  for (;;) {
    const from = position
    const step = await withQuarantine((guarded) =>
      db.transaction('rw', ['events', 'checkpoints', 'undo', 'quarantine', 'meta', projection.tableName], (tx) =>
        runChunk(tx, loaded, projection, from, guarded, options),
      ),
    )
    if ('moved' in step) {
      position = step.moved
      continue
    }
    if ('finished' in step) break
    position = step.last
    done += step.applied
    outcome.applied += step.applied
    outcome.quarantined.push(...step.projecting.quarantined)
    outcome.unknown.push(...step.projecting.unknown)
    if (done > total) total = done
    onProgress?.({ projection: name, done, total })
  }
  outcome.unknown = [...new Set(outcome.unknown)]
  return outcome
}

/** Empties the read model and its quarantine, and marks it `rebuilding` from position 0 (unless another tab just did). */
async function startRebuild(db: Dexie, projection: RuntimeProjection) {
  await db.transaction('rw', [projection.tableName, 'checkpoints', 'quarantine'], async (tx) => {
    const current = await tx.table<CheckpointRecord>('checkpoints').get(projection.name)
    // Another tab started this rebuild between our read and this transaction: join it instead of restarting.
    if (current && current.table === projection.tableName) return
    await tx.table(projection.tableName).clear()
    await tx.table('quarantine').where('projection').equals(projection.name).delete()
    await tx.table('checkpoints').put({
      projection: projection.name,
      table: projection.tableName,
      position: 0,
      state: 'rebuilding',
    } satisfies CheckpointRecord)
  })
}

/** One chunk of a catch-up, in one transaction: re-check the checkpoint, apply, move the checkpoint. */
async function runChunk(
  tx: Transaction,
  loaded: LoadedDomain,
  projection: RuntimeProjection,
  position: number,
  guarded: boolean,
  options: { recordUndo?: boolean; now?: () => number },
): Promise<Step> {
  const checkpoints = tx.table<CheckpointRecord>('checkpoints')
  const current = await checkpoints.get(projection.name)
  if (current && current.table === projection.tableName) {
    // Another tab finished this inline projection: from then on its rows are written with the events, so
    // applying more here would apply them twice.
    if (projection.mode === 'inline' && current.state === 'ready') return { finished: true }
    // A pull moved it back, or another tab moved it on: continue from there.
    if (current.position !== position) return { moved: current.position }
  }
  const chunk = await readChunk(tx, position)
  const checkpoint = (at: number, state: CheckpointRecord['state']): CheckpointRecord => ({
    projection: projection.name,
    table: projection.tableName,
    position: at,
    state,
  })
  if (chunk.length === 0) {
    await checkpoints.put(checkpoint(position, 'ready'))
    return { finished: true }
  }
  const writes = new WriteSink()
  const projecting = new Projecting(tx, loaded, writes, guarded, options.now ?? Date.now)
  const sources = new Set(projection.from)
  const undo = tx.table<UndoRecord>('undo')
  // Unguarded, handlers write into an in-memory overlay of the chunk's rows, written in bulk at the end (no
  // IndexedDB request nor promise hop per write). Guarded mode (the retry after a failure) writes row by row,
  // so that one event's writes can be undone alone. A table with a unique index writes row by row too: an
  // overlay holds only each row's last state, so it would miss a conflict between intermediate states (one
  // the event-by-event path quarantines).
  const bulk = !guarded && !(projection.table.indexes ?? []).some((index) => index.startsWith('&'))
  const overlay = bulk ? new RowOverlay(tx.table(projection.tableName), projection.table.key, writes, tx) : undefined
  const overlays = overlay ? new Map([[projection.tableName, overlay]]) : undefined
  for (const record of chunk) {
    if (!sources.has(parseStream(record.stream).aggregate)) continue
    // Pending events (not yet confirmed by a server) are applied with an undo record, like inline ones, so a
    // rebase can roll their effects back; rows already recorded at that position (by the command, or another
    // projection) keep theirs: this one continues after them.
    const pending = options.recordUndo === true && record.gpos === undefined
    const undoStart = pending ? await nextUndoNumber(undo, record.lpos as number) : 0
    if (overlay && overlay.size >= FLUSH_AT) overlay.flush()
    await projecting.apply(
      [projection],
      record,
      overlays ? { recordUndo: pending, undoStart, overlays } : { recordUndo: pending, undoStart },
    )
  }
  overlay?.flush()
  await projecting.saveUnknown()
  const last = chunk[chunk.length - 1]?.lpos ?? position
  await checkpoints.put(checkpoint(last, 'rebuilding'))
  writes.throwIfFailed()
  return { applied: chunk.length, last, projecting }
}

/** The first free undo sequence number at a log position. */
async function nextUndoNumber(undo: Table<UndoRecord>, lpos: number): Promise<number> {
  const last = await undo.where('[lpos+n]').between([lpos, Dexie.minKey], [lpos, Dexie.maxKey]).last()
  return last ? last.n + 1 : 0
}

/** The next chunk of the log after `position`: one `getAll` on the raw transaction (no Dexie per-row work). */
function readChunk(tx: Transaction, position: number): Promise<EventRecord[]> {
  const KeyRange = keyRangeOf(tx.db)
  const events = idbOf(tx).objectStore('events')
  return request(events.getAll(KeyRange.lowerBound(position, true), CHUNK)) as Promise<EventRecord[]>
}
