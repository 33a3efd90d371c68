import { CairnError, type SerializedCairnError, SyncError } from '../domain/errors'
import type { ForgetResponse } from '../protocol'
import { errorNames, toStorageError } from '../runtime/storage-errors'

/**
 * The server was reset: its `backendId` changed. Sync stops; local data is kept. The way on:
 * `client.reuploadToServer()` (push this device's whole log to the new server), or `client.exportLog()` first.
 */
export class ServerResetError extends SyncError {
  constructor(
    readonly previous: string,
    readonly current: string,
    /** The space whose server was reset (its sync stopped; the other spaces go on). */
    readonly space?: string,
  ) {
    super(
      'SERVER_RESET',
      `The sync server${space === undefined ? '' : ` of space '${space}'`} was reset (backend ${previous} → ${current}). ` +
        'Sync stopped; local data is kept. ' +
        'Re-upload this device’s log with reuploadToServer() (export it first with exportLog() if unsure).',
      space === undefined ? { previous, current } : { previous, current, space },
    )
  }
}

/** The details of a SyncError `FORGET_INCOMPLETE` (see {@link ForgetIncompleteError}). */
export interface ForgetIncompleteDetails {
  subject: string
  /** Every space where the forget failed, with its error (as data: it crosses the worker boundary as it is). */
  failures: { space: string; error: SerializedCairnError }[]
  /** Every space where it was done, with the server's answer: there the subject's key is destroyed. */
  forgotten: { space: string; result: ForgetResponse }[]
}

/**
 * `forgetSubject` failed in some of its spaces (it tried them all): code `FORGET_INCOMPLETE`, `details` a
 * {@link ForgetIncompleteDetails}. The spaces that failed can be asked again (a forget is idempotent). Crossing
 * the worker boundary it becomes a plain SyncError with the same code and details.
 */
export class ForgetIncompleteError extends SyncError {
  declare readonly details: ForgetIncompleteDetails

  constructor(details: ForgetIncompleteDetails) {
    const failed = details.failures.map((f) => `space '${f.space}' (${f.error.code}: ${f.error.message})`)
    const done = details.forgotten.map((f) => `'${f.space}'`)
    const rest = done.length > 0 ? `; it was done in ${done.join(', ')}` : ''
    super('FORGET_INCOMPLETE', `forgetSubject failed in ${failed.join(', ')}${rest}`, details)
  }
}

/**
 * The status form of a sync failure: the error's JSON. Every failure is a CairnError by then: the transport's
 * (`SyncHttpError`, `SyncNetworkError`), storage (`StorageError` — an IndexedDB failure is not the network),
 * or any other thrown value, taken as the network failing.
 */
export function syncErrorOf(error: unknown): SerializedCairnError {
  if (error instanceof CairnError) return error.toJSON()
  const names = errorNames(error)
  if (names.some((n) => /Dexie|IDB|Database|Quota|Constraint|DataClone|Abort|InvalidState/.test(n)))
    return toStorageError(error).toJSON()
  return new SyncError('NETWORK', error instanceof Error ? error.message : String(error)).toJSON()
}
