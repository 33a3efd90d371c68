/**
 * The rebase of a pull that cannot change what is pending. Pulled (foreign) events must come before our pending
 * ones in the log. In general that means rolling the pending events' read-model effects back and applying them
 * again after the pulled ones (rollback.ts, rebase.ts): a cost proportional to everything pending. When the
 * pulled events are on streams with no pending event, and their handlers touch no row the pending events wrote
 * or read (nor write one they read), applying them on top of the current read models gives the rows that
 * applying them first would have given. Then the pending events stay as they are:
 * - the pulled events take free positions under them: pending work that follows a confirmed event starts past
 *   a gap (PENDING_GAP) for exactly this. Nothing pending is read or written;
 * - without room there (work from before the gap existed, or a huge pull), the pending events' log records and
 *   undo rows move to positions after the pulled ones, with a new gap (bulk writes, no handler runs).
 *
 * The pulled events' handlers first run on an in-memory overlay while each row access is checked against the
 * undo log (indexed by table and key: the rows pending events wrote, and read markers). At the first overlap
 * the trial stops, nothing has been written, and the caller takes the general path.
 */
import { Dexie, type IndexableType, type Table } from 'dexie'
import type { IndexKey } from '../domain/read-table'
import type { RuntimeProjection } from '../runtime/loaded-domain'
import { parseStream } from '../runtime/loaded-domain'
import { RowOverlay, type RowRecorder, TABLE_READ } from '../runtime/projector'
import { idbOf, markChanged, rawBulk, request } from '../runtime/raw'
import { keyRangeOf } from '../store/open'
import {
  type CheckpointRecord,
  type EventRecord,
  HIGH_WATER,
  type MetaRecord,
  PENDING_GAP,
  type QuarantineRecord,
  READ_SETS_SINCE,
  type SpaceRecord,
  type UndoRecord,
} from '../store/records'
import type { Pulled, PullTx, Refusal } from './pull-state'
import { toRecord } from './pull-state'

/** Where the pending work starts: the first pending event, and the highest position of a confirmed one. */
interface PendingTail {
  first: number
  maxConfirmed: number
}

/**
 * Applies the pulled events under the pending ones if nothing of them can change those; returns false, having
 * written nothing, when they might (or when nothing is pending): the caller then takes the general path.
 */
export async function rebaseCommuting(
  p: PullTx,
  pulled: readonly Pulled[],
  refusals: ReadonlyMap<string, Refusal>,
): Promise<boolean> {
  if (p.projecting.guarded || refusals.size > 0 || pulled.length === 0) return false
  const tail = await pendingTail(p)
  if (!tail) return false
  const foreign = await foreignOnly(p, pulled)
  if (!foreign || foreign.length === 0 || !(await streamsFree(p, foreign))) return false
  const since = (await p.tx.table<MetaRecord>('meta').get(READ_SETS_SINCE))?.value as number | undefined
  // Pending events applied by an older version have no read markers: what they read is unknown.
  if (since === undefined || tail.first < since) return false
  const fits = tail.first - tail.maxConfirmed - 1 >= foreign.length
  const base = fits ? tail.maxConfirmed + 1 : await nextFree(p)
  const pendingEnd = fits ? undefined : base - 1
  const plan = await planProjections(p, foreign, tail, base, pendingEnd)
  if (!plan) return false
  const overlays = await applyOnOverlays(p, foreign, plan.tried, base)
  if (!overlays) return false

  const records = foreign.map((e, i) => ({ ...toRecord(e), lpos: base + i }))
  const lastForeign = base + foreign.length - 1
  markChanged(p.tx.db, p.tx, ['events'])
  const events = idbOf(p.tx).objectStore('events')
  if (fits) p.writes.track(() => rawBulk(records, (row) => events.add(row)), 'events')
  for (const overlay of overlays.values()) overlay.flush()
  const checkpoints = p.tx.table<CheckpointRecord>('checkpoints')
  const newEnd = fits ? lastForeign : await movePendingAfter(p, tail, records)
  for (const cp of plan.advance)
    p.writes.track(() => checkpoints.put({ ...cp, position: Math.max(cp.position, newEnd) }), 'checkpoints')
  p.outcome.applied = foreign.length
  p.outcome.lastPosition = lastForeign
  p.outcome.commuted = true
  return true
}

/** The start of the pending work (pending events sit at the tail of the log), or undefined when none is. */
async function pendingTail(p: PullTx): Promise<PendingTail | undefined> {
  const spaces = await p.tx.table<SpaceRecord>('spaces').toCollection().primaryKeys()
  const lasts = await Promise.all(
    spaces.map((space) => p.events.where('[space+gpos]').between([space, Dexie.minKey], [space, Dexie.maxKey]).last()),
  )
  const maxConfirmed = Math.max(0, ...lasts.map((e) => e?.lpos ?? 0))
  const first = await p.events.where(':id').above(maxConfirmed).first()
  if (!first || first.gpos !== undefined) return undefined
  return { first: first.lpos as number, maxConfirmed }
}

/**
 * The pulled events this database does not hold yet, or undefined when one of them is ours (held pending, or
 * written by this client): confirming our own events is the general path's work.
 */
async function foreignOnly(p: PullTx, pulled: readonly Pulled[]): Promise<Pulled[] | undefined> {
  const known = await p.events
    .where('id')
    .anyOf(pulled.map((e) => e.id))
    .toArray()
  if (known.some((e) => e.gpos === undefined)) return undefined
  const held = new Set(known.map((e) => e.id))
  const foreign: Pulled[] = []
  for (const e of pulled) {
    if (held.has(e.id)) continue
    if ((e.meta as { clientId?: unknown } | undefined)?.clientId === p.deps.clientId) return undefined
    held.add(e.id)
    foreign.push(e)
  }
  return foreign
}

/** No pulled event is on a stream whose head is pending (a pending command decided on it, or waits on it). */
async function streamsFree(p: PullTx, foreign: readonly Pulled[]): Promise<boolean> {
  const streams = [...new Set(foreign.map((e) => e.stream))]
  const heads = await Promise.all(
    streams.map((s) => p.events.where('[stream+version]').between([s, Dexie.minKey], [s, Dexie.maxKey]).last()),
  )
  return heads.every((head) => head === undefined || head.gpos !== undefined)
}

/** The next position never given out. */
async function nextFree(p: PullTx): Promise<number> {
  const [lastKey, high] = await Promise.all([
    p.events.orderBy(':id').lastKey(),
    p.tx.table<MetaRecord>('meta').get(HIGH_WATER),
  ])
  return Math.max((lastKey as number | undefined) ?? 0, (high?.value as number | undefined) ?? 0) + 1
}

/**
 * The read models the pulled events are tried on (those their aggregates feed, skipping async ones that will
 * process them in order later), and the async projections whose checkpoint moves (see `rebaseCommuting`);
 * undefined when the read models' state forbids this path.
 */
async function planProjections(
  p: PullTx,
  foreign: readonly Pulled[],
  tail: PendingTail,
  base: number,
  pendingEnd: number | undefined,
): Promise<{ tried: RuntimeProjection[]; advance: CheckpointRecord[] } | undefined> {
  const fits = pendingEnd === undefined
  const fed = new Set(foreign.map((e) => parseStream(e.stream).aggregate))
  const checkpoints = await p.tx.table<CheckpointRecord>('checkpoints').toArray()
  const byName = new Map(checkpoints.map((c) => [c.projection, c]))
  const tried: RuntimeProjection[] = []
  const advance: CheckpointRecord[] = []
  for (const projection of p.deps.loaded.projections) {
    const cp = byName.get(projection.name)
    if (cp && cp.state !== 'ready') return undefined
    if (projection.mode === 'async') {
      // Under the pending work: it has processed past the positions the pulled events take.
      // After it: it has processed pending events, which move past the pulled ones.
      const moves = cp !== undefined && cp.position >= (fits ? base : tail.first)
      // Moving pending events it has only partly processed would make it process some twice.
      if (moves && !fits && cp.position < pendingEnd) return undefined
      if (!moves) continue
      advance.push(cp)
    }
    if (!projection.from.some((aggregate) => fed.has(aggregate))) continue
    // An overlay keeps a row's last state only: a unique index could clash on an intermediate one.
    if ((projection.table.indexes ?? []).some((index) => index.startsWith('&'))) return undefined
    tried.push(projection)
  }
  if (!fits) {
    // Quarantine entries name positions of pending events: moving them is the general path's work.
    const quarantined = await p.tx
      .table<QuarantineRecord>('quarantine')
      .filter((q) => q.position >= tail.first)
      .count()
    if (quarantined > 0) return undefined
  }
  return { tried, advance }
}

/**
 * Moves the pending events and their undo rows past `records` (written first) and a new gap; returns the last
 * position of the moved pending events.
 */
async function movePendingAfter(p: PullTx, tail: PendingTail, records: EventRecord[]): Promise<number> {
  const KeyRange = keyRangeOf(p.tx.db)
  const events = idbOf(p.tx).objectStore('events')
  const undoStore = idbOf(p.tx).objectStore('undo')
  const [pending, undo] = await Promise.all([
    request(events.getAll(KeyRange.lowerBound(tail.first))) as Promise<EventRecord[]>,
    request(undoStore.getAll(KeyRange.lowerBound([tail.first]))) as Promise<UndoRecord[]>,
  ])
  const last = pending[pending.length - 1]?.lpos as number
  const shift = (records[records.length - 1]?.lpos as number) + PENDING_GAP + 1 - tail.first
  // Raw requests (two range deletes, then adds): Dexie's per-row middleware would cost more than the writes.
  p.writes.track(() => request(events.delete(KeyRange.lowerBound(tail.first))), 'events')
  p.writes.track(() => request(undoStore.delete(KeyRange.lowerBound([tail.first]))), 'undo')
  const moved = pending.map((e) => ({ ...e, lpos: (e.lpos as number) + shift }))
  p.writes.track(() => rawBulk([...records, ...moved], (row) => events.add(row)), 'events')
  if (undo.length > 0)
    p.writes.track(() => rawBulk(undo, (row) => undoStore.add({ ...row, lpos: row.lpos + shift })), 'undo')
  p.writes.track(() => p.tx.table<MetaRecord>('meta').put({ key: HIGH_WATER, value: last + shift }), 'meta')
  return last + shift
}

/** The `[table+key]` index key of an undo row. */
function undoKey(table: string, key: IndexKey): IndexableType {
  return [table, key] as IndexableType
}

/** Thrown inside a handler's table access at the first overlap with pending work. */
class Overlap extends Error {}

/**
 * Checks each row access of the pulled events' handlers against the undo log (every undo row belongs to a
 * pending event): writing a row pending work wrote or read, reading a row it wrote, writing a table it read
 * through an index. The pulled events' own index reads end the trial.
 */
class PendingOverlap implements RowRecorder {
  constructor(private readonly undo: Table<UndoRecord>) {}

  async record(table: { name: string }, key: IndexKey): Promise<void> {
    const [touched, tableRead] = await Promise.all([
      this.undo.where('[table+key]').equals(undoKey(table.name, key)).first(),
      this.undo.where('[table+key]').equals(undoKey(table.name, TABLE_READ)).first(),
    ])
    if (touched || tableRead) throw new Overlap(`${table.name} ${JSON.stringify(key)}`)
  }

  async noteRead(table: { name: string }, key: IndexKey): Promise<void> {
    const rows = await this.undo.where('[table+key]').equals(undoKey(table.name, key)).toArray()
    if (rows.some((u) => u.read === undefined)) throw new Overlap(`${table.name} ${JSON.stringify(key)}`)
  }

  /** Index reads cannot be checked row by row here: the general path applies such events. */
  noteTableRead(table: { name: string }): void {
    throw new Overlap(table.name)
  }
}

/**
 * Runs the pulled events' handlers on in-memory overlays of the tried read models, checking every row access.
 * Returns the overlays (to be written) when nothing overlapped, undefined at the first overlap or failure.
 */
async function applyOnOverlays(
  p: PullTx,
  foreign: readonly Pulled[],
  tried: readonly RuntimeProjection[],
  base: number,
): Promise<Map<string, RowOverlay> | undefined> {
  const overlays = new Map<string, RowOverlay>()
  for (const projection of tried)
    overlays.set(
      projection.tableName,
      new RowOverlay(p.tx.table(projection.tableName), projection.table.key, p.writes, p.tx),
    )
  const check = new PendingOverlap(p.tx.table<UndoRecord>('undo'))
  const triedSet = new Set(tried)
  try {
    for (const [i, e] of foreign.entries()) {
      const projections = p.deps.loaded.projectionsOf(parseStream(e.stream).aggregate).filter((x) => triedSet.has(x))
      await p.projecting.apply(
        projections,
        { ...toRecord(e), lpos: base + i },
        { recordUndo: false, overlays, recorder: check },
      )
    }
  } catch {
    // An overlap, or a handler that fails: the general path applies them (and quarantines what must be).
    return undefined
  }
  return overlays
}
