/**
 * The rebase of a pull that cannot change what is pending. Pulled (foreign) events must come before our pending
 * ones in the log. In general that means rolling the pending events' read-model effects back and applying them
 * again after the pulled ones (rollback.ts, rebase.ts): a cost proportional to everything pending. When the
 * pulled events are on streams with no pending event, and their handlers touch no row the pending events wrote
 * or read (nor write one they read), applying them on top of the current read models gives the rows that
 * applying them first would have given. Then the pending events stay as they are, and the pulled events take
 * free positions under them: pending work that follows a confirmed event starts past a gap (PENDING_GAP) for
 * exactly this. Nothing pending is read, moved or re-applied. Without room there (work made while sync was
 * off, or right after a confirmed prefix), the general path runs once and leaves a gap for the next pulls.
 * (Moving pending events instead would leave stale any row a handler wrote with an event's position.)
 *
 * The pulled events' handlers first run on an in-memory overlay while each row access is checked against the
 * undo log (indexed by table and key: the rows pending events wrote, and read markers). At the first overlap
 * the trial stops, nothing has been written, and the caller takes the general path.
 */
import { Dexie, type IndexableType, type Table } from 'dexie'
import type { IndexKey } from '../domain/read-table'
import type { RuntimeProjection } from '../runtime/loaded-domain'
import { parseStream } from '../runtime/loaded-domain'
import { type RowRecorder, TABLE_READ } from '../runtime/projector'
import { idbOf, markChanged, rawBulk } from '../runtime/raw'
import { RowOverlay } from '../runtime/row-overlay'
import {
  type CheckpointRecord,
  type MetaRecord,
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
  if (tail.first - tail.maxConfirmed - 1 < foreign.length) return false
  const base = tail.maxConfirmed + 1
  const plan = await planProjections(p, foreign, base)
  if (!plan) return false
  const overlays = await applyOnOverlays(p, foreign, plan.tried, base)
  if (!overlays) return false

  const records = foreign.map((e, i) => ({ ...toRecord(e), lpos: base + i }))
  const lastForeign = base + foreign.length - 1
  markChanged(p.tx.db, p.tx, ['events'])
  const events = idbOf(p.tx).objectStore('events')
  p.writes.track(() => rawBulk(records, (row) => events.add(row)), 'events')
  for (const overlay of overlays.values()) overlay.flush()
  const checkpoints = p.tx.table<CheckpointRecord>('checkpoints')
  for (const cp of plan.advance)
    p.writes.track(() => checkpoints.put({ ...cp, position: Math.max(cp.position, lastForeign) }), 'checkpoints')
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

/**
 * The read models the pulled events are tried on (those their aggregates feed, skipping async ones that will
 * process them in order later), and the async projections that processed past the positions they take (their
 * checkpoint moves past them once they are applied); undefined when a read model's state forbids this path.
 */
async function planProjections(
  p: PullTx,
  foreign: readonly Pulled[],
  base: number,
): Promise<{ tried: RuntimeProjection[]; advance: CheckpointRecord[] } | undefined> {
  const fed = new Set(foreign.map((e) => parseStream(e.stream).aggregate))
  const checkpoints = await p.tx.table<CheckpointRecord>('checkpoints').toArray()
  const byName = new Map(checkpoints.map((c) => [c.projection, c]))
  const tried: RuntimeProjection[] = []
  const advance: CheckpointRecord[] = []
  for (const projection of p.deps.loaded.projections) {
    const cp = byName.get(projection.name)
    if (cp && cp.state !== 'ready') return undefined
    if (projection.mode === 'async') {
      if (!cp || cp.position < base) continue
      advance.push(cp)
    }
    if (!projection.from.some((aggregate) => fed.has(aggregate))) continue
    // An overlay keeps a row's last state only: a unique index could clash on an intermediate one.
    if ((projection.table.indexes ?? []).some((index) => index.startsWith('&'))) return undefined
    tried.push(projection)
  }
  return { tried, advance }
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
  /** The first overlap, kept even if a handler catches the error thrown for it. */
  hit: string | undefined

  constructor(private readonly undo: Table<UndoRecord>) {}

  async record(table: { name: string }, key: IndexKey): Promise<void> {
    const [touched, tableRead] = await Promise.all([
      this.undo.where('[table+key]').equals(undoKey(table.name, key)).first(),
      this.undo.where('[table+key]').equals(undoKey(table.name, TABLE_READ)).first(),
    ])
    if (touched || tableRead) this.overlap(`${table.name} ${JSON.stringify(key)}`)
  }

  async noteRead(table: { name: string }, key: IndexKey): Promise<void> {
    const rows = await this.undo.where('[table+key]').equals(undoKey(table.name, key)).toArray()
    if (rows.some((u) => u.read === undefined)) this.overlap(`${table.name} ${JSON.stringify(key)}`)
  }

  /** Index reads cannot be checked row by row here (and would flush the overlay): the general path applies. */
  noteTableRead(table: { name: string }): void {
    this.overlap(table.name)
  }

  private overlap(what: string): never {
    this.hit ??= what
    throw new Overlap(what)
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
      if (check.hit !== undefined) return undefined
    }
  } catch {
    // An overlap, or a handler that fails: the general path applies them (and quarantines what must be).
    return undefined
  }
  return overlays
}
