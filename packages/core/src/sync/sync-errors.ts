import { CairnError, type SerializedCairnError, SyncError } from '../domain/errors'
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
