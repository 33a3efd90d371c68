import type { CommandRecord } from '../store/records'
import { type BatchContext, isDecisionError, type Job, type Outcome, sinkFor } from './batch'
import type { CommandResult } from './command-types'
import { idbOf } from './raw'

/** Rows of the command journal (`commands`) the executor writes. */

/**
 * Journals a command that appended nothing: `failed` with its error, `confirmed` with its empty result, or
 * `pending` when it decided on pending events (`afterEventId`, the stream's head then).
 */
export function journalOutcome(
  job: Job,
  space: string,
  stream: string,
  outcome: Outcome,
  batch: BatchContext,
  afterEventId: string | undefined,
): void {
  if ('error' in outcome && !isDecisionError(outcome.error)) return
  const writes = sinkFor(batch, job)
  const base = {
    id: job.commandId,
    path: job.path,
    space,
    stream,
    input: job.input,
    expectedVersion: job.request.expectedVersion,
    eventIds: [],
    issuedAt: job.issuedAt,
  }
  const row: CommandRecord =
    'error' in outcome
      ? {
          ...base,
          baseVersion: 0,
          status: 'failed',
          result: { version: 0, events: [] },
          rejection: {
            name: outcome.error.name,
            code: outcome.error.code,
            message: outcome.error.message,
            details: outcome.error.details,
          },
        }
      : {
          ...base,
          baseVersion: outcome.result.version,
          status: afterEventId === undefined ? 'confirmed' : 'pending',
          result: { version: outcome.result.version, events: [] },
          ...(afterEventId === undefined ? {} : { afterEventId }),
        }
  const journal = idbOf(batch.tx).objectStore('commands')
  writes.trackRequest(() => journal.add(row), 'commands')
}

/** The journal row of a command that appended events: `pending` until the server confirms them. */
export function pendingRow(
  job: Job,
  space: string,
  stream: string,
  baseVersion: number,
  result: CommandResult,
): CommandRecord {
  return {
    id: job.commandId,
    path: job.path,
    space,
    stream,
    input: job.input,
    expectedVersion: job.request.expectedVersion,
    baseVersion,
    eventIds: result.events.map((e) => e.id),
    status: 'pending',
    issuedAt: job.issuedAt,
    result: { version: result.version, events: result.events },
  }
}
