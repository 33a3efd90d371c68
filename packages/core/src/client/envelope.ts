import { CairnError, type SerializedCairnError } from '../domain/errors'
import { toStorageError } from '../runtime/storage-errors'

/** How results cross the worker boundary: Comlink drops error classes, so errors travel as data. */
export type Envelope<T> = { ok: true; value: T } | { ok: false; error: SerializedCairnError }

/** Runs `fn` and wraps its outcome in an envelope. */
export async function envelope<T>(fn: () => Promise<T> | T): Promise<Envelope<T>> {
  try {
    return { ok: true, value: await fn() }
  } catch (error) {
    return { ok: false, error: (error instanceof CairnError ? error : toStorageError(error)).toJSON() }
  }
}
