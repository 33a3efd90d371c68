import { dequal } from 'dequal'
import { Dexie } from 'dexie'
import { REDACTED, type RecordedEvent } from '../domain/events'
import type { StoredWireEvent } from '../protocol'
import { Projecting, unknownTypeOf, withQuarantine } from '../runtime/project'
import { WriteSink } from '../runtime/projector'
import { RowOverlay } from '../runtime/row-overlay'
import {
  type CommandRecord,
  type EventRecord,
  HIGH_WATER,
  type MetaRecord,
  PENDING_GAP,
  type SpaceRecord,
  type UndoRecord,
} from '../store/records'

import {
  inlineOf,
  type PendingState,
  type PullDeps,
  type Pulled,
  type PullOutcome,
  type PullTx,
  type Refusal,
  toRecord,
} from './pull-state'
import { reapplyPending } from './rebase'
import { rebaseCommuting } from './rebase-commuting'
import { rollBack } from './rollback'

export type { PullDeps, PullOutcome, Refusal } from './pull-state'

/** Events pulled from one space, and the space's cursor once they are applied. */
export interface SpaceBatch {
  space: string
  /** The space's cursor when the pull started: the batch is dropped if the space's cursor moved since (left and
   * joined again, or pulled by another tab). */
  from: number
  /** In the space's server order. */
  events: StoredWireEvent[]
  cursor: number
}

/**
 * Applies pulled events (in server order) to the local database, in one transaction. DESIGN.md §4:
 * 1. pulled events that are exactly our own pending prefix are confirmed in place (fast path);
 * 2. otherwise the read-model effects of the remaining pending events are rolled back (undo log, newest first),
 * 3. the pulled events applied in order (ours marked confirmed),
 * 4. and what is still pending re-applied: unchanged when its stream saw nothing new, else **re-run** from the
 *    command journal on the new state (per the aggregate's conflict policy), yielding new events or a durable
 *    rejection. Commands the server refused (`refusals`) are rejected here the same way, and the commands
 *    after them on the same stream re-run.
 * An event a projection cannot apply is quarantined (the transaction is run again guarded) and the rest applied.
 */
export async function applyPull(
  deps: PullDeps,
  batches: readonly SpaceBatch[],
  acceptedIds: ReadonlySet<string> = new Set(),
  refusals: ReadonlyMap<string, Refusal> = new Map(),
): Promise<PullOutcome> {
  const { db, loaded } = deps
  const tables = [
    'events',
    'commands',
    'undo',
    'checkpoints',
    'meta',
    'snapshots',
    'quarantine',
    'spaces',
    ...loaded.projections.map((p) => p.tableName),
  ]
  return withQuarantine((guarded) =>
    db.transaction('rw', tables, async (tx) => {
      const writes = new WriteSink()
      const p: PullTx = {
        deps,
        tx,
        events: tx.table<EventRecord>('events'),
        commands: tx.table<CommandRecord>('commands'),
        writes,
        projecting: new Projecting(tx, loaded, writes, guarded, deps.now),
        outcome: {
          fastPath: false,
          applied: 0,
          confirmedCommands: [],
          rebasedCommands: [],
          rejected: [],
          lastPosition: 0,
          unknownTypes: [],
          quarantined: [],
          collisions: [],
        },
        next: 0,
        firstFree: 0,
        confirmed: new Set(),
      }
      // A space left while its pull was under way must get nothing back; one left and joined again (or pulled by
      // another tab) starts over from its own cursor: a batch applies only where the space's cursor still is.
      const rows = await tx.table<SpaceRecord>('spaces').bulkGet(batches.map((b) => b.space))
      let current = batches.filter((b, i) => rows[i] !== undefined && rows[i]?.cursor === b.from)
      // After a failed attempt: batches whose streams this database holds in another space cannot be stored.
      if (guarded) current = await withoutCollisions(p, current)
      const pulled: Pulled[] = current.flatMap((b) => b.events.map((e) => ({ ...e, space: b.space })))
      // Nothing pulled can change what is pending: applied under it, pending work left as it is.
      if (!(await rebaseCommuting(p, pulled, refusals))) {
        const state = await readPending(p, pulled)
        // A pulled event with the id of one of ours but other content: the server holds someone else's event
        // under that id, so ours can never be accepted (ID_REUSED). Its command is refused like any refusal.
        const refused = new Map(refusals)
        for (const local of state.reused.values()) {
          const commandId = local.meta?.commandId
          if (commandId !== undefined && !refused.has(commandId))
            refused.set(commandId, {
              commandId,
              code: 'ID_REUSED',
              message: `the server holds event ${local.id} with other content`,
            })
        }
        const rest = confirmOwnPrefix(p, state)
        p.outcome.fastPath = rest.length === 0 && refused.size === 0
        if (!p.outcome.fastPath) {
          await rollBack(tx, state.stillPending, loaded)
          const own = new Set(state.stillPending.filter((e) => !state.reused.has(e.id)).map((e) => e.id))
          const changed = await applyRemote(p, rest, own)
          // Pending work added again after them starts past a gap, as the executor leaves one: the next pull
          // that cannot change it goes under it (rebase-commuting.ts).
          if (state.stillPending.length > 0) p.next += PENDING_GAP
          await reapplyPending(p, state, changed, acceptedIds, refused)
        }
        confirmCommands(p, state)
        // Rolled-back events left the log; their positions (and the ones given out here) are never reused.
        if (p.next > p.firstFree || state.stillPending.length > 0)
          writes.track(() => tx.table<MetaRecord>('meta').put({ key: HIGH_WATER, value: p.next - 1 }), 'meta')
      }
      for (const b of current) {
        const row = rows[batches.indexOf(b)]
        if (row && row.cursor !== b.cursor)
          writes.track(() => tx.table<SpaceRecord>('spaces').put({ ...row, cursor: b.cursor }), 'spaces')
      }
      await tx.table('meta').get('cursor')
      await p.projecting.saveUnknown()
      writes.throwIfFailed()
      p.outcome.unknownTypes = [...new Set([...p.projecting.unknown].map(unknownTypeOf))]
      p.outcome.quarantined = p.projecting.quarantined.map((row) => ({ ...row }))
      return p.outcome
    }),
  )
}

/**
 * The batches that can be stored: a space whose pulled events use a stream (or an event id) this database holds
 * in another space is left out and reported (`outcome.collisions`); it is pulled again next round, and keeps
 * failing until one of the two spaces is left. Only run after an attempt failed (it reads every stream's head).
 */
async function withoutCollisions(p: PullTx, batches: SpaceBatch[]): Promise<SpaceBatch[]> {
  const owner = new Map<string, string>()
  const kept: SpaceBatch[] = []
  for (const b of batches) {
    let clash: string | undefined
    for (const e of b.events) {
      const known =
        owner.get(e.stream) ??
        (await p.events.where('[stream+version]').between([e.stream, -Infinity], [e.stream, Infinity]).first())?.space
      if (known !== undefined && known !== b.space) {
        clash = `stream ${e.stream} of space '${b.space}' is held here in space '${known}'`
        break
      }
      const sameId = await p.events.where('id').equals(e.id).first()
      if (sameId && sameId.space !== b.space) {
        clash = `event ${e.id} of space '${b.space}' is held here in space '${sameId.space}'`
        break
      }
    }
    if (clash !== undefined) {
      p.outcome.collisions.push({ space: b.space, message: clash })
      continue
    }
    for (const e of b.events) owner.set(e.stream, b.space)
    kept.push(b)
  }
  return kept
}

/** Reads the pending commands and events, and which pulled events are new. */
async function readPending(p: PullTx, pulled: Pulled[]): Promise<PendingState> {
  const { events, commands } = p
  const pendingCommands = await commands.where('status').equals('pending').toArray()
  const pendingIds = pendingCommands.flatMap((c) => c.eventIds)
  const [pendingRows, known, lastKey, high] = await Promise.all([
    pendingIds.length > 0 ? events.where('id').anyOf(pendingIds).toArray() : Promise.resolve([]),
    pulled.length > 0
      ? events
          .where('id')
          .anyOf(pulled.map((e) => e.id))
          .toArray()
      : Promise.resolve([]),
    events.orderBy(':id').lastKey(),
    p.tx.table<MetaRecord>('meta').get(HIGH_WATER),
  ])
  const pending = pendingRows.filter((e) => e.gpos === undefined).sort((a, b) => (a.lpos ?? 0) - (b.lpos ?? 0))
  const pulledById = new Map(pulled.map((e) => [e.id, e]))
  const reused = new Map<string, EventRecord>()
  for (const local of known) {
    const theirs = pulledById.get(local.id)
    if (local.gpos === undefined && theirs && !sameEvent(local, theirs)) reused.set(local.id, local)
  }
  const alreadyConfirmed = new Set(known.filter((e) => e.gpos !== undefined).map((e) => e.id))
  const seen = new Set<string>()
  const fresh = pulled.filter((e) => {
    if (alreadyConfirmed.has(e.id) || seen.has(e.id)) return false
    seen.add(e.id)
    return true
  })
  let next = Math.max((lastKey as number | undefined) ?? 0, (high?.value as number | undefined) ?? 0)
  for (const e of pending) next = Math.max(next, e.lpos ?? 0)
  p.next = next + 1
  p.firstFree = p.next
  return {
    pendingCommands,
    pending,
    stillPending: pending,
    fresh,
    confirmedBefore: new Set(pendingRows.filter((e) => e.gpos !== undefined).map((e) => e.id)),
    reused,
    pendingIds: new Set(pendingIds),
  }
}

/**
 * Same event as the server's: what its id-reuse check compares (stream, version, type, data). A field the pull
 * brings REDACTED (its subject was forgotten since we pushed it) matches whatever we hold: the erasure that came
 * with the pull redacts ours too.
 */
function sameEvent(local: EventRecord, pulled: StoredWireEvent): boolean {
  if (local.stream !== pulled.stream || local.version !== pulled.version || local.type !== pulled.type) return false
  if (dequal(local.data, pulled.data)) return true
  const redacted = Object.keys(pulled.data).filter((k) => pulled.data[k] === REDACTED)
  if (redacted.length === 0) return false
  const ours: Record<string, unknown> = { ...local.data }
  for (const k of redacted) if (k in ours) ours[k] = REDACTED
  return dequal(ours, pulled.data)
}

/**
 * Step 1: in each space, the pulled events that are exactly our own pending prefix there are confirmed in place.
 * Returns the rest. In-place confirmation is only sound when every confirmed event precedes every event that
 * stays pending (the rollback undoes from the first still-pending position on); otherwise nothing is.
 */
function confirmOwnPrefix(p: PullTx, state: PendingState): Pulled[] {
  const { fresh, pending } = state
  const pendingBySpace = groupBy(pending, (e) => e.space)
  const rows: EventRecord[] = []
  for (const [space, theirs] of groupBy(fresh, (e) => e.space)) {
    const ours = pendingBySpace.get(space) ?? []
    for (let k = 0; k < theirs.length && k < ours.length; k++) {
      const own = ours[k] as EventRecord
      const pulled = theirs[k] as Pulled
      if (pulled.id !== own.id || state.reused.has(own.id)) break
      rows.push({ ...own, gpos: pulled.seq })
    }
  }
  const ids = new Set(rows.map((r) => r.id))
  const still = pending.filter((e) => !ids.has(e.id))
  const lastConfirmed = Math.max(0, ...rows.map((r) => r.lpos as number))
  if (rows.length === 0 || (still.length > 0 && (still[0]?.lpos as number) < lastConfirmed)) {
    state.stillPending = pending
    return fresh
  }
  for (const id of ids) p.confirmed.add(id)
  // Pending events sit at the tail of the log, so the confirmed ones span one range of positions.
  const from = Math.min(...rows.map((r) => r.lpos as number))
  p.writes.track(() => p.events.bulkPut(rows), 'events')
  p.writes.track(
    () =>
      p.tx
        .table<UndoRecord>('undo')
        .where('[lpos+n]')
        .between([from, Dexie.minKey], [lastConfirmed, Dexie.maxKey], true, true)
        .delete(),
    'undo',
  )
  state.stillPending = still
  return fresh.filter((e) => !ids.has(e.id))
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>()
  for (const item of items) {
    const k = key(item)
    const group = groups.get(k)
    if (group) group.push(item)
    else groups.set(k, [item])
  }
  return groups
}

/**
 * Step 3: appends the pulled events in server order and projects them. Returns, per stream, the foreign events
 * it received (those streams' pending commands must be decided again).
 */
async function applyRemote(
  p: PullTx,
  rest: Pulled[],
  ownIds: ReadonlySet<string>,
): Promise<Map<string, RecordedEvent[]>> {
  const changed = new Map<string, RecordedEvent[]>()
  const records = rest.map((e) => ({ ...toRecord(e), lpos: p.next++ }))
  // One bulk write for the log (projections never read it during a pull); then each event is projected.
  if (records.length > 0) p.writes.track(() => p.events.bulkAdd(records), 'events')
  const overlays = rowOverlays(p, rest.length)
  for (const [i, e] of rest.entries()) {
    const record = records[i] as EventRecord
    if (overlays) for (const overlay of overlays.values()) if (overlay.size >= FLUSH_AT) overlay.flush()
    const recorded = await p.projecting.apply(
      inlineOf(p.deps.loaded, record.stream),
      record,
      overlays ? { recordUndo: false, overlays } : { recordUndo: false },
    )
    if (ownIds.has(e.id)) p.confirmed.add(e.id)
    else if (recorded) {
      const list = changed.get(e.stream)
      if (list) list.push(recorded)
      else changed.set(e.stream, [recorded])
    } else if (!changed.has(e.stream)) changed.set(e.stream, [])
    p.outcome.lastPosition = record.lpos as number
  }
  // Pending events re-applied next read and write the tables directly: everything is written first.
  for (const overlay of overlays?.values() ?? []) overlay.flush()
  p.outcome.applied = rest.length
  return changed
}

/** Rows an overlay holds before they are written (so IndexedDB stores rows while handlers run). */
const FLUSH_AT = 500

/**
 * In-memory overlays of the inline read models for the pulled events (rows written in bulk, straight to
 * IndexedDB, as a rebuild does) — unguarded only: the retry after a failure writes row by row, so one event's
 * writes can be undone alone. A table with a unique index is written row by row too (an overlay keeps only a
 * row's last state, and would miss a conflict between intermediate states). Worth it for more than a few events.
 */
function rowOverlays(p: PullTx, events: number): Map<string, RowOverlay> | undefined {
  if (p.projecting.guarded || events < 50) return undefined
  const overlays = new Map<string, RowOverlay>()
  for (const projection of p.deps.loaded.projections) {
    if (projection.mode !== 'inline') continue
    if ((projection.table.indexes ?? []).some((index) => index.startsWith('&'))) continue
    overlays.set(
      projection.tableName,
      new RowOverlay(p.tx.table(projection.tableName), projection.table.key, p.writes, p.tx),
    )
  }
  return overlays
}

/** Marks confirmed the pending commands whose every event the server now holds. */
function confirmCommands(p: PullTx, state: PendingState): void {
  const confirmed = (id: string) => p.confirmed.has(id) || state.confirmedBefore.has(id)
  const done = state.pendingCommands.filter(
    (c) =>
      !p.outcome.rebasedCommands.includes(c.id) &&
      (c.eventIds.length > 0
        ? c.eventIds.every(confirmed)
        : c.afterEventId !== undefined && (confirmed(c.afterEventId) || !state.pendingIds.has(c.afterEventId))),
  )
  if (done.length === 0) return
  p.writes.track(() => p.commands.bulkPut(done.map((c) => ({ ...c, status: 'confirmed' as const }))), 'commands')
  p.outcome.confirmedCommands.push(...done.map((c) => c.id))
}
