import type { Dexie, Table } from 'dexie'
import {
  type CairnError,
  type CairnErrorName,
  CommandRejected,
  ConcurrencyError,
  HandlerError,
  reviveError,
  type ValidationError,
} from '../domain/errors'
import type { EventMeta, RecordedEvent } from '../domain/events'
import type { EventRecord, SnapshotRecord } from '../store/records'
import {
  AbortBatch,
  type BatchContext,
  failBatch,
  type Job,
  LOG_TABLES,
  MAX_BATCH,
  type Outcome,
  pendingHeadOf,
  prefetch,
  satisfies,
  sinkFor,
  streamsOf,
} from './batch'
import type { CommandResult, RuntimeEnv } from './command-types'
import { decide, eventRecords, evolve, headKey, loadStream, snapshotDue } from './decide'
import { agrees, Expectation, ExpectationMissed, guessOf } from './expectation'
import { journalOutcome, pendingRow } from './journal'
import type { LoadedDomain, RuntimeAggregate } from './loaded-domain'
import { Projecting } from './project'
import { inlineProjectionsFor } from './projector'
import { idbOf, markChanged } from './raw'
import { toRecorded } from './recorded'
import { chooseSpace } from './space-choice'
import type { CachedState, StateCache } from './state-cache'
import { isConstraintError, toStorageError } from './storage-errors'

export type { CommandRequest, CommandResult, ExpectedVersion, RuntimeEnv } from './command-types'

/**
 * Runs commands: validate → load state → decide → append → journal → inline projections → checkpoint, in one
 * IndexedDB transaction. Commands that arrive while a transaction is in flight are group-committed in the next
 * one; each still succeeds or fails on its own.
 */
export class Executor {
  private queue: Job[] = []
  private readonly expected = new Expectation()
  private flushing = false

  constructor(
    private readonly db: Dexie,
    private readonly loaded: LoadedDomain,
    private readonly cache: StateCache,
    private readonly env: RuntimeEnv,
    private readonly onCommitted: (lastPosition: number, results: CommandResult[]) => void,
  ) {}

  /** Queues a command whose path and input were already validated. */
  submit(job: Omit<Job, 'resolve' | 'reject' | 'commandId' | 'issuedAt'>): Promise<CommandResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({
        ...job,
        commandId: job.request.commandId ?? this.env.newId(),
        issuedAt: this.env.now(),
        resolve,
        reject,
      })
      if (!this.flushing) void this.flush()
    })
  }

  private async flush(): Promise<void> {
    this.flushing = true
    try {
      while (this.queue.length > 0) {
        const jobs = this.queue.splice(0, MAX_BATCH)
        try {
          await this.runBatch(jobs)
        } catch (error) {
          // A failure no path of the batch handled (a bug, a listener that threw): what still waits is rejected
          // (settled promises ignore it) and the queue goes on, so no caller waits for good.
          const failure = toStorageError(error)
          for (const job of jobs) job.reject(failure)
        }
      }
    } finally {
      this.flushing = false
    }
  }

  private tables(): Table[] {
    const names = ['events', 'commands', 'undo', 'snapshots', 'meta', 'spaces']
    for (const p of this.loaded.projections) if (p.mode === 'inline') names.push(p.tableName)
    return names.map((n) => this.db.table(n))
  }

  private async runBatch(jobs: Job[]): Promise<void> {
    // Two commands with one command id in one batch: the second must see the first's outcome, so it waits.
    const ids = new Set<string>()
    const later: Job[] = []
    let remaining: Job[] = []
    for (const job of jobs) {
      const id = job.request.commandId
      if (id !== undefined && ids.has(id)) later.push(job)
      else remaining.push(job)
      if (id !== undefined) ids.add(id)
    }
    let guessing = true
    for (let attempt = 0; remaining.length > 0; attempt++) {
      const outcomes = new Map<Job, Outcome>()
      const overlay = new Map<string, CachedState>()
      let lastPosition = 0
      let batch: BatchContext | undefined
      let running: Promise<void> | undefined
      let checked: Promise<boolean> | undefined
      try {
        await this.db.transaction('rw', this.tables(), (tx) => {
          running = (async () => {
            const reads = prefetch(tx, remaining, this.env)
            const guessed = guessing ? this.expected.contextFor(tx, streamsOf(remaining), remaining) : undefined
            if (guessed) {
              const guess = guessOf(guessed)
              checked = reads.then(
                (read) => agrees(guess, read),
                () => false,
              )
            }
            batch = guessed ?? (await reads)
            for (const job of remaining) {
              // Aborted by a failed write: what is left runs again in the next attempt.
              if (batch.failure) return
              const outcome = await this.runOne(job, overlay, batch).catch((error: unknown) => {
                if (error instanceof AbortBatch && batch) failBatch(batch, error.job, error.error, '')
                throw error
              })
              outcomes.set(job, outcome)
              if ('result' in outcome && !outcome.result.duplicate)
                for (const e of outcome.result.events) lastPosition = Math.max(lastPosition, e.position)
            }
            // Ran on the expectation: the reads queued before the writes must agree, or nothing commits.
            if (checked && !(await checked)) {
              tx.abort()
              throw new ExpectationMissed()
            }
            if (!batch.wrote) return
            if (lastPosition > 0) markChanged(this.db, tx, ['events', 'commands'])
            else markChanged(this.db, tx, ['commands'])
            // Nothing more to await: a failed write aborts the transaction (see sinkFor), so if it commits, every
            // write succeeded.
          })()
          return running
        })
      } catch (thrown) {
        // An abort ends the transaction while its function may still run: let it stop before anything else runs.
        await running?.catch(() => {})
        guessing = false
        // Ran on an expectation the reads did not confirm: whatever failed, run again on what is read.
        if (checked && !(await checked)) continue
        const failure = (batch as BatchContext | undefined)?.failure
        let error = thrown
        if (failure) {
          if (isConstraintError(failure.error) && LOG_TABLES.has(failure.source)) error = failure.error
          else {
            failure.job.reject(toStorageError(failure.error))
            remaining = remaining.filter((j) => j !== failure.job)
            continue
          }
        }
        if (isConstraintError(error) && attempt < 5) {
          // Another tab appended to one of our streams (or journaled the same command id) between our read
          // and our write: decide again.
          this.cache.clear()
          continue
        }
        if (remaining.length > 1) {
          // A failure at commit time cannot be attributed: find the culprit by running each command alone.
          for (const job of remaining) await this.runBatch([job])
          if (later.length > 0) await this.runBatch(later)
          return
        }
        for (const job of remaining) job.reject(toStorageError(error))
        if (later.length > 0) await this.runBatch(later)
        return
      }
      for (const [stream, state] of overlay) this.cache.set(stream, state)
      const committed = batch as BatchContext | undefined
      if (committed) this.expected.learn(committed)
      const results: CommandResult[] = []
      for (const [job, outcome] of outcomes) {
        if ('result' in outcome) {
          results.push(outcome.result)
          job.resolve(outcome.result)
        } else job.reject(outcome.error)
      }
      this.onCommitted(lastPosition, results)
      break
    }
    if (later.length > 0) await this.runBatch(later)
  }

  /** Loads a stream's state: from this batch, from the cache when the head is unchanged, else from the log. */
  private async loadState(
    stream: string,
    aggregate: RuntimeAggregate,
    overlay: Map<string, CachedState>,
    batch: BatchContext,
  ) {
    const pending = overlay.get(stream)
    if (pending) return pending
    const events = batch.tx.table<EventRecord>('events')
    const head = batch.heads.get(stream)
    if (!head) return { state: aggregate.initialState(), version: 0, headId: undefined }
    const cached = this.cache.get(stream)
    if (cached && cached.headId === headKey(head)) return cached
    const loaded = await loadStream(events, aggregate, stream, batch.tx.table<SnapshotRecord>('snapshots'))
    this.cache.set(stream, loaded)
    return loaded
  }

  private async runOne(job: Job, overlay: Map<string, CachedState>, batch: BatchContext): Promise<Outcome> {
    const { aggregate, request } = job
    const stream = `${aggregate.name}:${request.id}`
    if (request.commandId !== undefined) {
      const previous = batch.previous.get(request.commandId)
      if (previous) {
        if (previous.rejection) {
          const r = previous.rejection
          if (r.name && r.name !== 'CommandRejected')
            return {
              error: reviveError({
                name: r.name as CairnErrorName,
                code: r.code,
                message: r.message,
                details: r.details,
              }),
            }
          return { error: new CommandRejected(r.code, r.message, r.details) }
        }
        return { result: { commandId: previous.id, stream: previous.stream, ...previous.result, duplicate: true } }
      }
    }
    const space = this.spaceOf(job, stream, batch)
    const outcome =
      typeof space === 'string' ? await this.decideAndAppend(job, space, stream, overlay, batch) : { error: space }
    const empty = 'result' in outcome && outcome.result.events.length === 0
    // With sync, a command that appended nothing because of pending events (its stream's head is not confirmed
    // yet) is not final: if those events are rejected or rebased, it must be decided again. It stays pending.
    const after = empty && this.env.recordUndo ? pendingHeadOf(stream, overlay, batch) : undefined
    // A command with an id is remembered whatever was decided, so a retry returns that outcome (reactors rely
    // on it: their command ids are derived from the causing event).
    if (after !== undefined || (request.commandId !== undefined && ('error' in outcome || empty)))
      journalOutcome(job, typeof space === 'string' ? space : (request.space ?? ''), stream, outcome, batch, after)
    return outcome
  }

  /** The command's space: its stream's (in the log, or appended earlier in this batch), or chosen for a new one. */
  private spaceOf(job: Job, stream: string, batch: BatchContext): string | ValidationError {
    const { path, aggregate, input, request } = job
    const existing = batch.heads.get(stream)?.space ?? batch.spaces.get(stream)
    return chooseSpace(
      { path, aggregate: aggregate.name, id: request.id, input, space: request.space, fallback: request.defaultSpace },
      existing,
      { joined: () => batch.joined, spaceOf: this.env.spaces.spaceOf },
    )
  }

  private async decideAndAppend(
    job: Job,
    space: string,
    stream: string,
    overlay: Map<string, CachedState>,
    batch: BatchContext,
  ): Promise<Outcome> {
    const { aggregate, request } = job
    let current: CachedState
    try {
      current = await this.loadState(stream, aggregate, overlay, batch)
    } catch (error) {
      if (error instanceof HandlerError) return { error }
      throw error
    }
    if (!satisfies(request.expectedVersion, current.version)) {
      return { error: new ConcurrencyError(stream, request.expectedVersion ?? 'any', current.version) }
    }

    const decided = decide(aggregate, job.path, current.state, job.input, {
      id: request.id,
      version: current.version,
      now: job.issuedAt,
      commandId: job.commandId,
    })
    if ('error' in decided) return decided
    const pending = decided.events
    if (pending.length === 0) {
      return {
        result: { commandId: job.commandId, stream, version: current.version, events: [], duplicate: false },
      }
    }

    const meta: EventMeta = {
      commandId: job.commandId,
      clientId: this.env.clientId,
      issuedAt: job.issuedAt,
      schemaVersion: 1,
    }
    if (request.correlationId !== undefined) meta.correlationId = request.correlationId
    if (request.causationId !== undefined) meta.causationId = request.causationId

    let { state, headId } = current
    const recorded: RecordedEvent[] = []
    const records: EventRecord[] = []
    const writes = sinkFor(batch, job)
    const events = idbOf(batch.tx).objectStore('events')
    for (const record of eventRecords(pending, aggregate, space, stream, current.version, meta, this.env.newId)) {
      record.lpos = batch.nextPosition++
      writes.trackRequest(() => events.add(record), 'events')
      const event = toRecorded(record)
      try {
        state = evolve(aggregate, state, event)
      } catch (error) {
        throw new AbortBatch(job, error as CairnError)
      }
      headId = headKey(record)
      recorded.push(event)
      records.push(record)
    }
    const version = current.version + pending.length
    if (snapshotDue(aggregate, current.version, version) && aggregate.snapshot) {
      const snapshot: SnapshotRecord = {
        stream,
        version,
        headId: headId as string,
        snapshotVersion: aggregate.snapshot.version,
        state,
      }
      writes.track(() => batch.tx.table<SnapshotRecord>('snapshots').put(snapshot), 'snapshots')
    }
    const result: CommandResult = {
      commandId: job.commandId,
      stream,
      version,
      events: recorded.map((e) => ({ id: e.id, type: e.type, version: e.version, position: e.position })),
      duplicate: false,
    }
    const journal = idbOf(batch.tx).objectStore('commands')
    const row = pendingRow(job, space, stream, current.version, result)
    writes.trackRequest(() => journal.add(row), 'commands')
    try {
      // The same projection step as pulls and rebuilds; a local command fails as a whole instead of quarantining.
      const projections = inlineProjectionsFor(this.loaded, stream)
      const projecting = new Projecting(batch.tx, this.loaded, writes, false, this.env.now)
      for (const record of records) await projecting.apply(projections, record, { recordUndo: this.env.recordUndo })
    } catch (error) {
      throw new AbortBatch(job, toStorageError(error))
    }
    overlay.set(stream, { state, version, headId })
    batch.spaces.set(stream, space)
    batch.appended.set(stream, records[records.length - 1] as EventRecord)
    return { result }
  }
}
