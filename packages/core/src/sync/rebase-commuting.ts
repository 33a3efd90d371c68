/**
 * The rebase of a pull that cannot change what is pending. Pulled (foreign) events must come before our pending
 * ones in the log. In general that means rolling the pending events' read-model effects back and applying them
 * again after the pulled ones (rollback.ts, rebase.ts): a cost proportional to everything pending. When the
 * pulled events touch none of the pending commands' streams, and their handlers touch no row the pending
 * events wrote or read (and write none they read), applying them on top of the current read models gives the
 * rows that applying them first would have given. Then the pending events stay as they are: their log
 * records and undo rows only move to positions after the pulled events (bulk writes, no handler runs).
 *
 * The pulled events' handlers first run on an in-memory overlay while their row access is checked against the
 * pending events' footprint (the undo log: written rows, and read markers). At the first overlap the trial
 * stops, nothing has been written, and the caller takes the general path.
 */
import type { IndexKey } from '../domain/read-table'
import type { RuntimeProjection } from '../runtime/loaded-domain'
import { parseStream } from '../runtime/loaded-domain'
import { keyId, RowOverlay, type RowRecorder } from '../runtime/projector'
import { idbOf, markChanged, rawBulk, request } from '../runtime/raw'
import { keyRangeOf } from '../store/open'
import {
  type CheckpointRecord,
  type EventRecord,
  type MetaRecord,
  type QuarantineRecord,
  READ_SETS_SINCE,
  type UndoRecord,
} from '../store/records'
import type { PendingState, Pulled, PullTx, Refusal } from './pull-state'
import { toRecord } from './pull-state'

/**
 * Applies `foreign` (pulled events of other streams) under the pending events if nothing of it can change them;
 * returns false, having written nothing, when it might (the caller then rolls back and re-applies).
 */
export async function rebaseCommuting(
  p: PullTx,
  state: PendingState,
  foreign: readonly Pulled[],
  refused: ReadonlyMap<string, Refusal>,
): Promise<boolean> {
  const pending = state.stillPending
  const first = pending[0]?.lpos
  const last = pending[pending.length - 1]?.lpos
  if (first === undefined || last === undefined || foreign.length === 0) return false
  if (p.projecting.guarded || refused.size > 0 || state.reused.size > 0) return false
  if (!untouchedStreams(state, foreign)) return false
  const fed = new Set(foreign.map((e) => parseStream(e.stream).aggregate))
  const trial = await trialProjections(p, fed, first, last)
  if (!trial || !(await onlyPendingBetween(p, pending, first, last))) return false
  const undo = await p.tx.table<UndoRecord>('undo').where('lpos').aboveOrEqual(first).toArray()
  const overlays = await applyOnOverlays(p, foreign, trial, footprintOf(undo))
  if (!overlays) return false

  // Nothing pending changes: the pulled events take the next positions, the pending ones move after them.
  const base = p.next
  const shift = base + foreign.length - first
  // Raw requests (two range deletes, then puts): Dexie's per-row middleware would cost more than the writes.
  const KeyRange = keyRangeOf(p.tx.db)
  const events = idbOf(p.tx).objectStore('events')
  const undoStore = idbOf(p.tx).objectStore('undo')
  markChanged(p.tx.db, p.tx, ['events'])
  const records = foreign.map((e, i) => ({ ...toRecord(e), lpos: base + i }))
  const moved = pending.map((e) => ({ ...e, lpos: (e.lpos as number) + shift }))
  const undoMoved = undo.map((u) => ({ ...u, lpos: u.lpos + shift }))
  p.writes.track(() => request(events.delete(KeyRange.bound(first, last))), 'events')
  p.writes.track(() => request(undoStore.delete(KeyRange.bound([first], [last, []]))), 'undo')
  p.writes.track(() => rawBulk([...records, ...moved], (row) => events.add(row)), 'events')
  if (undoMoved.length > 0) p.writes.track(() => rawBulk(undoMoved, (row) => undoStore.add(row)), 'undo')
  for (const overlay of overlays.values()) overlay.flush()
  p.next = last + shift + 1
  // Async projections that had processed every pending event have now processed the pulled ones too.
  const checkpoints = p.tx.table<CheckpointRecord>('checkpoints')
  for (const cp of trial.caughtUp) p.writes.track(() => checkpoints.put({ ...cp, position: p.next - 1 }), 'checkpoints')
  p.outcome.applied = foreign.length
  p.outcome.lastPosition = p.next - 1
  p.outcome.commuted = true
  return true
}

/** No pulled event is on a stream a pending command decided on, nor one of ours. */
function untouchedStreams(state: PendingState, foreign: readonly Pulled[]): boolean {
  const streams = new Set(state.pendingCommands.map((c) => c.stream))
  for (const e of state.stillPending) streams.add(e.stream)
  return foreign.every((e) => !streams.has(e.stream) && !state.pendingIds.has(e.id))
}

/**
 * The projections fed by the pulled events' aggregates (`fed`), which they are tried on; undefined when the
 * state of the read models forbids the trial.
 */
async function trialProjections(
  p: PullTx,
  fed: ReadonlySet<string>,
  first: number,
  last: number,
): Promise<{ projections: RuntimeProjection[]; caughtUp: CheckpointRecord[] } | undefined> {
  const { tx, deps } = p
  const since = (await tx.table<MetaRecord>('meta').get(READ_SETS_SINCE))?.value as number | undefined
  // Pending events applied by an older version have no read markers: what they read is unknown.
  if (since === undefined || first < since) return undefined
  const checkpoints = await tx.table<CheckpointRecord>('checkpoints').toArray()
  const byName = new Map(checkpoints.map((c) => [c.projection, c]))
  const projections: RuntimeProjection[] = []
  const caughtUp: CheckpointRecord[] = []
  for (const projection of deps.loaded.projections) {
    const cp = byName.get(projection.name)
    if (cp && cp.state !== 'ready') return undefined
    if (!projection.from.some((aggregate) => fed.has(aggregate))) continue
    // An overlay keeps a row's last state only: a unique index could clash on an intermediate one.
    if ((projection.table.indexes ?? []).some((index) => index.startsWith('&'))) return undefined
    if (projection.mode === 'inline') projections.push(projection)
    else if (cp && cp.position >= last) {
      projections.push(projection)
      caughtUp.push(cp)
    } else if (cp && cp.position >= first) return undefined // part of the pending events: roll back
  }
  // Quarantine entries of pending events are decided again when they are re-applied: not here.
  const quarantined = await tx
    .table<QuarantineRecord>('quarantine')
    .filter((q) => q.position >= first)
    .count()
  return quarantined === 0 ? { projections, caughtUp } : undefined
}

/** The pending events are the only events from `first` to `last` (they move as one range). */
async function onlyPendingBetween(p: PullTx, pending: EventRecord[], first: number, last: number): Promise<boolean> {
  return (await p.events.where(':id').between(first, last, true, true).count()) === pending.length
}

/** Rows pending events wrote, rows they read, and tables they read through an index: `table|key` ids. */
interface Footprint {
  written: Set<string>
  read: Set<string>
  writtenTables: Set<string>
  readTables: Set<string>
}

function footprintOf(undo: readonly UndoRecord[]): Footprint {
  const f: Footprint = { written: new Set(), read: new Set(), writtenTables: new Set(), readTables: new Set() }
  for (const u of undo) {
    if (u.read === 'table') f.readTables.add(u.table)
    else if (u.read === 'row') f.read.add(`${u.table}|${keyId(u.key as IndexKey)}`)
    else {
      f.written.add(`${u.table}|${keyId(u.key as IndexKey)}`)
      f.writtenTables.add(u.table)
    }
  }
  return f
}

/** Thrown inside a handler's table access at the first overlap with the pending footprint. */
class Overlap extends Error {}

/** Checks each row access of the pulled events' handlers against the pending events' footprint. */
class FootprintCheck implements RowRecorder {
  constructor(private readonly pending: Footprint) {}

  async record(table: { name: string }, key: IndexKey): Promise<void> {
    const id = `${table.name}|${keyId(key)}`
    if (this.pending.written.has(id) || this.pending.read.has(id) || this.pending.readTables.has(table.name))
      throw new Overlap(id)
  }

  noteRead(table: { name: string }, key: IndexKey): void {
    const id = `${table.name}|${keyId(key)}`
    if (this.pending.written.has(id)) throw new Overlap(id)
  }

  noteTableRead(table: { name: string }): void {
    if (this.pending.writtenTables.has(table.name)) throw new Overlap(table.name)
  }
}

/**
 * Runs the pulled events' handlers on in-memory overlays of the tried read models, checking every row access.
 * Returns the overlays (to be written) when nothing overlapped, undefined at the first overlap or failure.
 */
async function applyOnOverlays(
  p: PullTx,
  foreign: readonly Pulled[],
  trial: { projections: RuntimeProjection[] },
  footprint: Footprint,
): Promise<Map<string, RowOverlay> | undefined> {
  const overlays = new Map<string, RowOverlay>()
  for (const projection of trial.projections)
    overlays.set(
      projection.tableName,
      new RowOverlay(p.tx.table(projection.tableName), projection.table.key, p.writes, p.tx),
    )
  const check = new FootprintCheck(footprint)
  const tried = new Set(trial.projections)
  try {
    for (const [i, e] of foreign.entries()) {
      const aggregate = parseStream(e.stream).aggregate
      const projections = p.deps.loaded.projectionsOf(aggregate).filter((x) => tried.has(x))
      // Positions are given for the handlers' view only; the records are written once the trial passed.
      await p.projecting.apply(
        projections,
        { ...toRecord(e), lpos: p.next + i },
        {
          recordUndo: false,
          overlays,
          recorder: check,
        },
      )
    }
  } catch {
    // An overlap, or a handler that fails: the general path applies them (and quarantines what must be).
    return undefined
  }
  return overlays
}
