import { dequal } from 'dequal'
import { Dexie, type Table, type Transaction } from 'dexie'
import type { RecordedEvent } from '../domain/events'
import type { StoredWireEvent } from '../protocol'
import { decide, eventRecords, loadStream } from '../runtime/decide'
import type { LoadedDomain, RuntimeAggregate } from '../runtime/loaded-domain'
import { parseStream } from '../runtime/loaded-domain'
import { Projecting, unknownTypeOf, withQuarantine } from '../runtime/project'
import { WriteSink } from '../runtime/projector'
import type { QuarantinedEvent, RejectedCommand } from '../runtime/status'
import {
  type CheckpointRecord,
  type CommandRecord,
  type EventRecord,
  HIGH_WATER,
  type MetaRecord,
  type QuarantineRecord,
  type UndoRecord,
} from '../store/records'

/** What applying a pull did. */
export interface PullOutcome {
  /** True when the pulled events were exactly our own pending prefix: confirmed in place, nothing rolled back. */
  fastPath: boolean
  /** Pulled events that were new to this database. */
  applied: number
  confirmedCommands: string[]
  rebasedCommands: string[]
  rejected: RejectedCommand[]
  /** Highest local position written. */
  lastPosition: number
  /** `aggregate.Type` of pulled events this code does not know (written by a newer app version): kept and synced. */
  unknownTypes: string[]
  /** Events a projection could not apply: quarantined, the rest applied. */
  quarantined: QuarantinedEvent[]
}

/** A command the server refused for good, with the server's reason. */
export interface Refusal {
  commandId: string
  code: string
  message: string
}

/** What the pull needs from its host. */
export interface PullDeps {
  db: Dexie
  loaded: LoadedDomain
  clientId: string
  newId: () => string
  now: () => number
}

/** The state one pull transaction works on. */
interface PullTx {
  deps: PullDeps
  tx: Transaction
  events: Table<EventRecord>
  commands: Table<CommandRecord>
  writes: WriteSink
  projecting: Projecting
  outcome: PullOutcome
  /** Next free local position. */
  next: number
  /** `next` before this pull gave out any position. */
  firstFree: number
  /** Event ids the server confirmed in this pull (or an earlier one). */
  confirmed: Set<string>
}

function toRecord(e: StoredWireEvent): EventRecord {
  return {
    id: e.id,
    stream: e.stream,
    version: e.version,
    type: e.type,
    data: e.data as Record<string, unknown>,
    meta: (e.meta ?? {}) as unknown as EventRecord['meta'],
    gpos: e.seq,
  }
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
  pulled: StoredWireEvent[],
  cursor: number | undefined,
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
        },
        next: 0,
        firstFree: 0,
        confirmed: new Set(),
      }
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
        await reapplyPending(p, state, changed, acceptedIds, refused)
      }
      confirmCommands(p, state)
      // Rolled-back events left the log; their positions (and the ones given out here) are never reused.
      if (p.next > p.firstFree || state.stillPending.length > 0)
        writes.track(() => tx.table<MetaRecord>('meta').put({ key: HIGH_WATER, value: p.next - 1 }), 'meta')
      if (cursor !== undefined) await tx.table('meta').put({ key: 'cursor', value: cursor })
      await p.projecting.saveUnknown()
      writes.throwIfFailed()
      p.outcome.unknownTypes = [...new Set([...p.projecting.unknown].map(unknownTypeOf))]
      p.outcome.quarantined = p.projecting.quarantined.map(toQuarantined)
      return p.outcome
    }),
  )
}

/** The quarantine row as the status shows it. */
export function toQuarantined(row: QuarantineRecord): QuarantinedEvent {
  return { ...row }
}

interface PendingState {
  pendingCommands: CommandRecord[]
  /** Pending events not yet confirmed, in local order. */
  pending: EventRecord[]
  /** The pending events left after the confirmed prefix. */
  stillPending: EventRecord[]
  /** Pulled events new to this database (or ours, not yet confirmed), without repeats. */
  fresh: StoredWireEvent[]
  /** Events of pending commands confirmed by an earlier pull (a page boundary can split a command). */
  confirmedBefore: Set<string>
  /** Our pending events whose id the pulled log uses for another event (by id). */
  reused: Map<string, EventRecord>
  /** Ids of every event of a pending command, confirmed or not. */
  pendingIds: Set<string>
}

/** Reads the pending commands and events, and which pulled events are new. */
async function readPending(p: PullTx, pulled: StoredWireEvent[]): Promise<PendingState> {
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

/** Same event as the server's: what its id-reuse check compares (stream, version, type, data). */
function sameEvent(local: EventRecord, pulled: StoredWireEvent): boolean {
  return (
    local.stream === pulled.stream &&
    local.version === pulled.version &&
    local.type === pulled.type &&
    dequal(local.data, pulled.data)
  )
}

/** Step 1: the pulled events that are our own pending prefix are confirmed in place. Returns the rest. */
function confirmOwnPrefix(p: PullTx, state: PendingState): StoredWireEvent[] {
  const { fresh, pending } = state
  let prefix = 0
  const rows: EventRecord[] = []
  while (
    prefix < fresh.length &&
    prefix < pending.length &&
    fresh[prefix]?.id === pending[prefix]?.id &&
    !state.reused.has(pending[prefix]?.id as string)
  ) {
    rows.push({ ...(pending[prefix] as EventRecord), gpos: (fresh[prefix] as StoredWireEvent).seq })
    p.confirmed.add((fresh[prefix] as StoredWireEvent).id)
    prefix++
  }
  if (rows.length > 0) {
    // Pending events sit at the tail of the log, so the confirmed ones span one range of positions.
    const from = rows[0]?.lpos as number
    const to = rows[rows.length - 1]?.lpos as number
    p.writes.track(() => p.events.bulkPut(rows), 'events')
    p.writes.track(
      () =>
        p.tx
          .table<UndoRecord>('undo')
          .where('[lpos+n]')
          .between([from, Dexie.minKey], [to, Dexie.maxKey], true, true)
          .delete(),
      'undo',
    )
  }
  state.stillPending = pending.slice(prefix)
  return fresh.slice(prefix)
}

/**
 * Step 3: appends the pulled events in server order and projects them. Returns, per stream, the foreign events
 * it received (those streams' pending commands must be decided again).
 */
async function applyRemote(
  p: PullTx,
  rest: StoredWireEvent[],
  ownIds: ReadonlySet<string>,
): Promise<Map<string, RecordedEvent[]>> {
  const changed = new Map<string, RecordedEvent[]>()
  for (const e of rest) {
    const record = { ...toRecord(e), lpos: p.next++ }
    p.writes.track(() => p.events.add(record), 'events')
    const recorded = await p.projecting.apply(inlineOf(p.deps.loaded, record.stream), record, { recordUndo: false })
    if (ownIds.has(e.id)) p.confirmed.add(e.id)
    else if (recorded) {
      const list = changed.get(e.stream)
      if (list) list.push(recorded)
      else changed.set(e.stream, [recorded])
    } else if (!changed.has(e.stream)) changed.set(e.stream, [])
    p.outcome.lastPosition = record.lpos
  }
  p.outcome.applied = rest.length
  return changed
}

/** Step 4: re-applies the pending commands in their original order: kept as they are, re-run, or rejected. */
async function reapplyPending(
  p: PullTx,
  state: PendingState,
  changed: Map<string, RecordedEvent[]>,
  acceptedIds: ReadonlySet<string>,
  refusals: ReadonlyMap<string, Refusal>,
): Promise<void> {
  const byId = new Map(state.stillPending.map((e) => [e.id, e]))
  // Commands in their original order; one that appended nothing sits right after the event it decided on.
  const positionOf = (c: CommandRecord): number =>
    c.eventIds.length > 0
      ? c.eventIds.reduce((min, id) => Math.min(min, byId.get(id)?.lpos ?? Number.POSITIVE_INFINITY), Infinity)
      : (byId.get(c.afterEventId ?? '')?.lpos ?? Number.POSITIVE_INFINITY) + 0.5
  const order = state.pendingCommands
    .map((c) => ({ c, first: positionOf(c) }))
    .filter((x) => Number.isFinite(x.first))
    .sort((a, b) => a.first - b.first)
  for (const { c } of order) {
    const aggregate = p.deps.loaded.aggregates.get(parseStream(c.stream).aggregate)
    const theirs = changed.get(c.stream)
    if (c.eventIds.length === 0) {
      // It decided on pending events that are now rebased or rejected: decide again; else it waits.
      if (aggregate && theirs) await rerun(p, c, aggregate, theirs, [])
      continue
    }
    const remaining = c.eventIds
      .map((id) => byId.get(id))
      .filter((e): e is EventRecord => e !== undefined && !p.confirmed.has(e.id))
    if (remaining.length === 0) continue
    const refusal = refusals.get(c.id)
    if (refusal) {
      reject(p, c, { code: refusal.code, message: refusal.message, details: undefined })
      // Commands after it on the same stream were decided on its events: they are decided again.
      if (!changed.has(c.stream)) changed.set(c.stream, [])
      continue
    }
    // Events the server already accepted (their confirmation is further in the log) stay as they are.
    if (!aggregate || !theirs || remaining.some((e) => acceptedIds.has(e.id))) {
      for (const e of remaining) await appendPending(p, { ...e, lpos: p.next++ })
      continue
    }
    await rerun(p, c, aggregate, theirs, remaining)
  }
}

/** Appends one pending event to the log again and projects it, recording undo. */
async function appendPending(p: PullTx, record: EventRecord): Promise<void> {
  p.writes.track(() => p.events.add(record), 'events')
  await p.projecting.apply(inlineOf(p.deps.loaded, record.stream), record, { recordUndo: true })
  p.outcome.lastPosition = record.lpos as number
}

/** Someone else changed this command's stream (or an earlier command on it was re-run): decide again. */
async function rerun(
  p: PullTx,
  c: CommandRecord,
  aggregate: RuntimeAggregate,
  theirs: RecordedEvent[],
  previous: EventRecord[],
): Promise<void> {
  const current = await loadStream(p.events, aggregate, c.stream, p.tx.table('snapshots'))
  const decided = decideAgain(c, aggregate, theirs, current)
  if ('error' in decided) {
    reject(p, c, decided.error)
    return
  }
  // The re-run keeps the command's event ids (event i reuses the id of the old event i): one logical command
  // keeps one identity, so a reactor that handled it does not fire again.
  const ids = previous.map((e) => e.id)
  let i = 0
  const nextId = () => ids[i++] ?? p.deps.newId()
  const meta = previous[0]
    ? { ...previous[0].meta }
    : { commandId: c.id, clientId: p.deps.clientId, issuedAt: c.issuedAt, schemaVersion: 1 }
  const records = eventRecords(decided.events, aggregate, c.stream, current.version, meta, nextId)
  for (const record of records) {
    record.lpos = p.next++
    await appendPending(p, record)
  }
  const version = current.version + records.length
  const result = {
    version,
    events: records.map((r) => ({ id: r.id, type: r.type, version: r.version, position: r.lpos as number })),
  }
  // Nothing to append on a head that is itself pending: it waits for that event, as the executor does.
  const head =
    records.length === 0 ? await p.events.where('[stream+version]').equals([c.stream, version]).first() : undefined
  const afterEventId = head && head.gpos === undefined ? head.id : undefined
  const status = records.length === 0 && afterEventId === undefined ? 'confirmed' : 'pending'
  p.writes.track(
    () =>
      p.commands.update(c.id, {
        eventIds: records.map((r) => r.id),
        baseVersion: current.version,
        result,
        status,
        afterEventId,
      }),
    'commands',
  )
  p.outcome.rebasedCommands.push(c.id)
}

type Decided = ReturnType<typeof decide> | { error: { code: string; message: string; details: unknown } }

/** The command's new decision on the new state: its policy, its expected version, then its decider. */
function decideAgain(
  c: CommandRecord,
  aggregate: RuntimeAggregate,
  theirs: RecordedEvent[],
  current: { state: unknown; version: number },
): Decided {
  const expected = c.expectedVersion
  const versionHolds =
    expected === undefined ||
    expected === 'any' ||
    (expected === 'exists' && current.version > 0) ||
    (expected === 'no_stream' && current.version === 0) ||
    expected === current.version
  if (!versionHolds) {
    return {
      error: {
        code: 'CONCURRENCY',
        message: `${c.stream} is at version ${current.version}, the command expected ${String(expected)}`,
        details: undefined,
      },
    }
  }
  if (resolvePolicy(aggregate, c, theirs) === 'reject') {
    return {
      error: { code: 'CONFLICT', message: `${c.path} conflicted with changes made elsewhere`, details: undefined },
    }
  }
  return decide(aggregate, c.path, current.state, c.input, {
    id: parseStream(c.stream).id,
    version: current.version,
    now: c.issuedAt,
    commandId: c.id,
  })
}

/** Turns a pending command into a durable rejection (its events are already out of the log). */
function reject(p: PullTx, c: CommandRecord, error: { code: string; message: string; details: unknown }): void {
  const rejection = { code: error.code, message: error.message, details: error.details }
  const at = p.deps.now()
  p.writes.track(
    () => p.commands.update(c.id, { status: 'rejected', rejection, eventIds: [], rejectedAt: at }),
    'commands',
  )
  p.outcome.rejected.push({
    commandId: c.id,
    path: c.path,
    input: c.input,
    code: rejection.code,
    message: rejection.message,
    at,
  })
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

function inlineOf(loaded: LoadedDomain, stream: string) {
  return loaded.projectionsOf(parseStream(stream).aggregate).filter((p) => p.mode === 'inline')
}

function resolvePolicy(
  aggregate: RuntimeAggregate,
  command: CommandRecord,
  theirs: RecordedEvent[],
): 'rebase' | 'reject' {
  const policy = aggregate.conflict
  if (typeof policy === 'function') return policy({ command: command.path, input: command.input, theirs })
  return policy
}

/**
 * Step 2: undoes the read-model effects of pending events (newest first) and removes them from the log; they
 * are re-added after the pulled events. Their quarantine entries go too (re-applying decides again). Async
 * projections that had processed them are moved back.
 */
async function rollBack(tx: Transaction, pending: EventRecord[], loaded: LoadedDomain): Promise<void> {
  if (pending.length === 0) return
  const first = pending[0]?.lpos ?? 0
  const undo = tx.table<UndoRecord>('undo')
  const rows = await undo.where('lpos').aboveOrEqual(first).toArray()
  rows.sort((a, b) => b.lpos - a.lpos || b.n - a.n)
  const writes = new WriteSink()
  // Rows of a table that a projection upgrade dropped have nothing left to restore (the rebuild recorded its own).
  const tables = new Set(loaded.projections.map((p) => p.tableName))
  for (const row of rows) {
    if (!tables.has(row.table)) continue
    const table: Table = tx.table(row.table)
    if (row.before === undefined) writes.track(() => table.delete(row.key as never))
    else writes.track(() => table.put(row.before))
  }
  writes.track(() => undo.where('lpos').aboveOrEqual(first).delete())
  writes.track(() => tx.table<EventRecord>('events').bulkDelete(pending.map((e) => e.lpos as number)))
  const ids = new Set(pending.map((e) => e.id))
  writes.track(() =>
    tx
      .table<QuarantineRecord>('quarantine')
      .filter((q) => ids.has(q.eventId))
      .delete(),
  )
  const checkpoints = tx.table<CheckpointRecord>('checkpoints')
  for (const p of loaded.projections) {
    if (p.mode !== 'async') continue
    const cp = await checkpoints.get(p.name)
    if (cp && cp.position >= first) writes.track(() => checkpoints.put({ ...cp, position: first - 1 }))
  }
  await tx.table('meta').get('cursor')
  writes.throwIfFailed()
}
