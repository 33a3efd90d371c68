/**
 * The rebase step of a pull: pending commands re-applied in their order — kept, re-run from the journal on the
 * new state (their conflict policy, expected version and decider), or rejected (refused by the server).
 */
import type { RecordedEvent } from '../domain/events'
import { decide, eventRecords, loadStream } from '../runtime/decide'
import type { RuntimeAggregate } from '../runtime/loaded-domain'
import { parseStream } from '../runtime/loaded-domain'
import type { CommandRecord, EventRecord } from '../store/records'
import { inlineOf, type PendingState, type PullTx, type Refusal } from './pull-state'

/** Step 4: re-applies the pending commands in their original order: kept as they are, re-run, or rejected. */
export async function reapplyPending(
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
  const records = eventRecords(decided.events, aggregate, c.space, c.stream, current.version, meta, nextId)
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
    space: c.space,
    stream: c.stream,
    path: c.path,
    input: c.input,
    code: rejection.code,
    message: rejection.message,
    at,
  })
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
