import { Dexie, type Table, type Transaction } from 'dexie'
import type { RecordedEvent } from '../domain/events'
import type { StoredWireEvent } from '../protocol'
import { decide, eventRecords, loadStream } from '../runtime/decide'
import type { LoadedDomain, RuntimeAggregate } from '../runtime/loaded-domain'
import { parseStream } from '../runtime/loaded-domain'
import { applyEvent, WriteSink } from '../runtime/projector'
import { isUnknownEvent, toRecorded } from '../runtime/recorded'
import type { RejectedCommand } from '../runtime/status'
import type { CheckpointRecord, CommandRecord, EventRecord, UndoRecord } from '../store/records'

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
}

interface Deps {
  db: Dexie
  loaded: LoadedDomain
  clientId: string
  newId: () => string
  now: () => number
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
 *    the pulled events applied in order (ours marked confirmed), and what is still pending re-applied:
 *    unchanged when its stream saw nothing new, else **re-run** from the command journal on the new state
 *    (per the aggregate's conflict policy), yielding new events or a durable rejection.
 */
export async function applyPull(
  deps: Deps,
  pulled: StoredWireEvent[],
  cursor: number,
  acceptedIds: ReadonlySet<string> = new Set(),
): Promise<PullOutcome> {
  const { db, loaded } = deps
  const tables = [
    'events',
    'commands',
    'undo',
    'checkpoints',
    'meta',
    'snapshots',
    ...loaded.projections.map((p) => p.tableName),
  ]
  return db.transaction('rw', tables, async (tx) => {
    const events = tx.table<EventRecord>('events')
    const commands = tx.table<CommandRecord>('commands')
    const writes = new WriteSink()
    const outcome: PullOutcome = {
      fastPath: false,
      applied: 0,
      confirmedCommands: [],
      rebasedCommands: [],
      rejected: [],
      lastPosition: 0,
      unknownTypes: [],
    }

    const pendingCommands = await commands.where('status').equals('pending').toArray()
    const pendingIds = pendingCommands.flatMap((c) => c.eventIds)
    const [pendingRows, known, lastKey] = await Promise.all([
      pendingIds.length > 0 ? events.where('id').anyOf(pendingIds).toArray() : Promise.resolve([]),
      pulled.length > 0
        ? events
            .where('id')
            .anyOf(pulled.map((e) => e.id))
            .toArray()
        : Promise.resolve([]),
      events.orderBy(':id').lastKey(),
    ])
    const pending = pendingRows.filter((e) => e.gpos === undefined).sort((a, b) => (a.lpos ?? 0) - (b.lpos ?? 0))
    // Events of pending commands confirmed by an earlier pull (a page boundary can split a command).
    const confirmedBefore = new Set(pendingRows.filter((e) => e.gpos !== undefined).map((e) => e.id))
    const alreadyConfirmed = new Set(known.filter((e) => e.gpos !== undefined).map((e) => e.id))
    const seen = new Set<string>()
    const fresh = pulled.filter((e) => {
      if (alreadyConfirmed.has(e.id) || seen.has(e.id)) return false
      seen.add(e.id)
      return true
    })

    // 1. Confirm in place the pulled events that are our own pending prefix.
    let prefix = 0
    const confirmedRows: EventRecord[] = []
    while (prefix < fresh.length && prefix < pending.length && fresh[prefix]?.id === pending[prefix]?.id) {
      confirmedRows.push({ ...(pending[prefix] as EventRecord), gpos: (fresh[prefix] as StoredWireEvent).seq })
      prefix++
    }
    if (confirmedRows.length > 0) {
      // Pending events sit at the tail of the log, so the confirmed ones span one range of positions.
      const from = confirmedRows[0]?.lpos as number
      const to = confirmedRows[confirmedRows.length - 1]?.lpos as number
      writes.track(() => events.bulkPut(confirmedRows))
      writes.track(() =>
        tx
          .table<UndoRecord>('undo')
          .where('[lpos+n]')
          .between([from, Dexie.minKey], [to, Dexie.maxKey], true, true)
          .delete(),
      )
    }
    const confirmedIds = new Set(fresh.slice(0, prefix).map((e) => e.id))
    const rest = fresh.slice(prefix)
    const stillPending = pending.slice(prefix)
    outcome.fastPath = rest.length === 0

    if (rest.length > 0) {
      let next = (lastKey as number | undefined) ?? 0
      for (const e of stillPending) next = Math.max(next, e.lpos ?? 0)
      next += 1
      await rollBack(tx, stillPending, loaded)
      // 2. Apply the pulled events in server order.
      const dirty = new Map<string, RecordedEvent[]>()
      const ownIds = new Set(stillPending.map((e) => e.id))
      for (const e of rest) {
        const record = { ...toRecord(e), lpos: next++ }
        writes.track(() => events.add(record))
        const definitions = loaded.aggregates.get(parseStream(record.stream).aggregate)?.events
        if (isUnknownEvent(record, definitions)) {
          outcome.unknownTypes.push(`${parseStream(record.stream).aggregate}.${record.type}`)
        }
        const recorded = toRecorded(record, definitions)
        await applyEvent(tx, inlineOf(loaded, record.stream), recorded, { recordUndo: false, writes })
        if (ownIds.has(e.id)) confirmedIds.add(e.id)
        else dirty.set(e.stream, [...(dirty.get(e.stream) ?? []), recorded])
        outcome.lastPosition = record.lpos
      }
      outcome.applied = rest.length
      // 3. Re-apply what is still pending, in its original order.
      const byId = new Map(stillPending.map((e) => [e.id, e]))
      const order = pendingCommands
        .map((c) => ({
          c,
          first: c.eventIds.reduce(
            (min, id) => Math.min(min, byId.get(id)?.lpos ?? Number.POSITIVE_INFINITY),
            Infinity,
          ),
        }))
        .filter((x) => Number.isFinite(x.first))
        .sort((a, b) => a.first - b.first)
      for (const { c } of order) {
        const remaining = c.eventIds
          .map((id) => byId.get(id))
          .filter((e): e is EventRecord => e !== undefined && !confirmedIds.has(e.id))
        if (remaining.length === 0) continue
        const aggregate = loaded.aggregates.get(parseStream(c.stream).aggregate)
        const theirs = dirty.get(c.stream)
        // Events the server already accepted (their confirmation is further in the log) stay as they are.
        if (!aggregate || !theirs || remaining.some((e) => acceptedIds.has(e.id))) {
          for (const e of remaining) {
            const record = { ...e, lpos: next++ }
            writes.track(() => events.add(record))
            await applyEvent(tx, inlineOf(loaded, record.stream), toRecorded(record, aggregate?.events), {
              recordUndo: true,
              writes,
            })
            outcome.lastPosition = record.lpos
          }
          continue
        }
        // Someone else changed this stream (or an earlier pending command on it was re-run): decide again.
        const policy = resolvePolicy(aggregate, c, theirs)
        const current = await loadStream(events, aggregate, c.stream, tx.table('snapshots'))
        // A command that asked for a stream version gets it checked again on the new history.
        const expected = c.expectedVersion
        const versionHolds =
          expected === undefined ||
          expected === 'any' ||
          (expected === 'exists' && current.version > 0) ||
          (expected === 'no_stream' && current.version === 0) ||
          expected === current.version
        const decided = !versionHolds
          ? {
              error: {
                code: 'CONCURRENCY',
                message: `${c.stream} is at version ${current.version}, the command expected ${String(expected)}`,
                details: undefined as unknown,
              },
            }
          : policy === 'reject'
            ? {
                error: {
                  code: 'CONFLICT',
                  message: `${c.path} conflicted with changes made elsewhere`,
                  details: undefined as unknown,
                },
              }
            : decide(aggregate, c.path, current.state, c.input, {
                id: parseStream(c.stream).id,
                version: current.version,
                now: c.issuedAt,
                commandId: c.id,
              })
        dirty.set(c.stream, theirs)
        if ('error' in decided) {
          const rejection = { code: decided.error.code, message: decided.error.message, details: decided.error.details }
          const at = deps.now()
          writes.track(() => commands.update(c.id, { status: 'rejected', rejection, eventIds: [], rejectedAt: at }))
          outcome.rejected.push({
            commandId: c.id,
            path: c.path,
            input: c.input,
            code: rejection.code,
            message: rejection.message,
            at,
          })
          continue
        }
        const meta = { ...(remaining[0] as EventRecord).meta }
        const records = eventRecords(decided.events, aggregate, c.stream, current.version, meta, deps.newId)
        for (const record of records) {
          record.lpos = next++
          writes.track(() => events.add(record))
          await applyEvent(tx, inlineOf(loaded, record.stream), toRecorded(record, aggregate?.events), {
            recordUndo: true,
            writes,
          })
          outcome.lastPosition = record.lpos
        }
        const version = current.version + records.length
        const result = {
          version,
          events: records.map((r) => ({ id: r.id, type: r.type, version: r.version, position: r.lpos as number })),
        }
        writes.track(() =>
          commands.update(c.id, { eventIds: records.map((r) => r.id), baseVersion: current.version, result }),
        )
        if (records.length === 0) writes.track(() => commands.update(c.id, { status: 'confirmed' }))
        outcome.rebasedCommands.push(c.id)
      }
    }

    const confirmedCommands = pendingCommands.filter(
      (c) => c.eventIds.length > 0 && c.eventIds.every((id) => confirmedIds.has(id) || confirmedBefore.has(id)),
    )
    if (confirmedCommands.length > 0) {
      writes.track(() => commands.bulkPut(confirmedCommands.map((c) => ({ ...c, status: 'confirmed' as const }))))
      outcome.confirmedCommands.push(...confirmedCommands.map((c) => c.id))
    }
    await tx.table('meta').put({ key: 'cursor', value: cursor })
    writes.throwIfFailed()
    return outcome
  })
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
 * Undoes the read-model effects of pending events (newest first) and removes them from the log; they are
 * re-added after the pulled events. Async projections that had processed them are moved back.
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
  const checkpoints = tx.table<CheckpointRecord>('checkpoints')
  for (const p of loaded.projections) {
    if (p.mode !== 'async') continue
    const cp = await checkpoints.get(p.name)
    if (cp && cp.position >= first) writes.track(() => checkpoints.put({ ...cp, position: first - 1 }))
  }
  await tx.table('meta').get('cursor')
  writes.throwIfFailed()
}
