import type { Transaction } from 'dexie'
import type { CairnError } from '../domain/errors'
import { type CommandRecord, type EventRecord, HIGH_WATER, type MetaRecord, PENDING_GAP } from '../store/records'
import type { CommandRequest, CommandResult, ExpectedVersion, RuntimeEnv } from './command-types'
import type { RuntimeAggregate } from './loaded-domain'
import { WriteSink } from './projector'
import { idbOf, lastIn, request } from './raw'
import type { CachedState } from './state-cache'
import { errorNames } from './storage-errors'

/** One batch of the executor: its queued commands, what it reads up front, and how its outcomes are told apart. */

/** A queued command. */
export interface Job {
  path: string
  aggregate: RuntimeAggregate
  handler: RuntimeAggregate['commands'][string]
  request: CommandRequest
  input: unknown
  commandId: string
  issuedAt: number
  resolve: (result: CommandResult) => void
  reject: (error: CairnError) => void
}

export type Outcome = { result: CommandResult } | { error: CairnError }

/** What one batch transaction reads up front and the writes it pipelines, per command. */
export interface BatchContext {
  /** The batch transaction. Tables come from it, never from Dexie's ambient zone (see applyEvent). */
  tx: Transaction
  heads: Map<string, EventRecord | undefined>
  previous: Map<string, CommandRecord>
  nextPosition: number
  /** The batch's first failure; once set, the transaction is aborted (see sinkFor). */
  failure: BatchFailure | undefined
  /** The space of each stream this batch appended to (a new stream's first command chose it). */
  spaces: Map<string, string>
  /** The last event this batch appended to each stream. */
  appended: Map<string, EventRecord>
  /** The joined spaces, read in this transaction (undefined without sync: any space may be written). */
  joined: ReadonlySet<string> | undefined
  /** Something was written (events, or only journal rows of failed or empty commands). */
  wrote: boolean
}

/** Tables whose unique indexes mean "someone else wrote first" (decide again), not "this row is invalid". */
export const LOG_TABLES = new Set(['events', 'commands'])

/** Thrown inside a batch transaction when a command fails after it wrote: the transaction must abort. */
export class AbortBatch extends Error {
  constructor(
    readonly job: Job,
    readonly error: CairnError,
  ) {
    super(error.message)
  }
}

/** What failed first in a batch: the command, the error, and the table written (empty when it was not a write). */
export interface BatchFailure {
  job: Job
  error: unknown
  source: string
}

/**
 * The sink of one command's writes in a batch. Its first failure aborts the transaction at once (a raw request's
 * in its own error event, before IndexedDB could commit): a batch transaction that commits had no failed write,
 * so nothing needs to be awaited before its commit, and the writes and the commit share one round trip.
 */
export function sinkFor(batch: BatchContext, job: Job): WriteSink {
  batch.wrote = true
  return new WriteSink((error, source) => failBatch(batch, job, error, source))
}

/** Errors of requests that failed because the transaction had already ended: consequences, never the cause. */
const ENDED = ['AbortError', 'TransactionInactiveError', 'DatabaseClosedError']

/** Records the batch's first failure (the command to blame) and aborts its transaction. */
export function failBatch(batch: BatchContext, job: Job, error: unknown, source: string): void {
  if (!batch.failure && !errorNames(error).some((name) => ENDED.includes(name))) batch.failure = { job, error, source }
  try {
    batch.tx.abort()
  } catch {
    // Already ended.
  }
}

/** Commands per batch transaction. */
export const MAX_BATCH = 500

/** The streams of a batch's commands, each once. */
export function streamsOf(jobs: readonly Job[]): string[] {
  return [...new Set(jobs.map((j) => `${j.aggregate.name}:${j.request.id}`))]
}

/**
 * Reads, in parallel, what every command of the batch needs before deciding: the head event of each stream,
 * earlier results of command ids given, and the next local position. IndexedDB pipelines parallel requests;
 * awaiting them one by one would pay a round trip each.
 */
export async function prefetch(tx: Transaction, jobs: Job[], env: RuntimeEnv): Promise<BatchContext> {
  const events = idbOf(tx).objectStore('events')
  const byStream = events.index('[stream+version]')
  const KeyRange = env.keyRange
  const commands = tx.table<CommandRecord>('commands')
  const streams = streamsOf(jobs)
  const ids = jobs.map((j) => j.request.commandId).filter((id): id is string => id !== undefined)
  const syncing = env.spaces.joined() !== undefined
  const store = (name: string) => idbOf(tx).objectStore(name)
  // Raw requests but for the journal's: Dexie's middleware costs more than the read on this path (see raw.ts).
  const [tail, high, heads, previous, joined] = await Promise.all([
    lastIn<EventRecord>(events, null),
    request<MetaRecord | undefined>(store('meta').get(HIGH_WATER)),
    Promise.all(
      streams.map((s) =>
        lastIn<EventRecord>(byStream, KeyRange.bound([s, -Infinity], [s, []])).then((head) => [s, head] as const),
      ),
    ),
    ids.length > 0 ? commands.bulkGet(ids) : Promise.resolve([]),
    // With sync, the joined spaces as this transaction sees them (another tab may have just left one).
    syncing ? request(store('spaces').getAllKeys()) : Promise.resolve(undefined),
  ])
  return {
    tx,
    heads: new Map(heads),
    previous: new Map(previous.flatMap((c): [string, CommandRecord][] => (c ? [[c.id, c]] : []))),
    // Positions are never reused: events removed from the tail (a refused command) leave their mark. With
    // sync, pending work after a confirmed tail starts past a gap: events pulled meanwhile go under it.
    nextPosition:
      Math.max(tail?.lpos ?? 0, (high?.value as number | undefined) ?? 0) +
      1 +
      (syncing && (tail === undefined || tail.gpos !== undefined) ? PENDING_GAP : 0),
    failure: undefined,
    spaces: new Map(),
    appended: new Map(),
    joined: joined === undefined ? undefined : new Set(joined as string[]),
    wrote: false,
  }
}

/** The id of the stream's head event when it is pending (appended in this batch, or not confirmed yet). */
export function pendingHeadOf(
  stream: string,
  overlay: Map<string, CachedState>,
  batch: BatchContext,
): string | undefined {
  const appended = overlay.get(stream)?.headId
  if (appended !== undefined) return appended.slice(0, appended.lastIndexOf('@'))
  const head = batch.heads.get(stream)
  return head && head.gpos === undefined ? head.id : undefined
}

/** Errors that are the command's own outcome (decider, input, version), not a failure of storage. */
export function isDecisionError(error: CairnError): boolean {
  return ['CommandRejected', 'ConcurrencyError', 'HandlerError', 'ValidationError'].includes(error.name)
}

export function satisfies(expected: ExpectedVersion | undefined, actual: number): boolean {
  if (expected === undefined || expected === 'any') return true
  if (expected === 'no_stream') return actual === 0
  if (expected === 'exists') return actual > 0
  return expected === actual
}
