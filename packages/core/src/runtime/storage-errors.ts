import { CairnError, StorageError } from '../domain/errors'

/** The names of an error and its inner causes (Dexie wraps IndexedDB's). */
export function errorNames(error: unknown): string[] {
  const names: string[] = []
  let current: unknown = error
  for (let depth = 0; current && typeof current === 'object' && depth < 5; depth++) {
    const e = current as { name?: unknown; inner?: unknown; cause?: unknown; failures?: unknown }
    if (typeof e.name === 'string') names.push(e.name)
    // A Dexie BulkError carries its rows' own errors: the first one says what kind of failure it was.
    const first = Array.isArray(e.failures) ? (e.failures as unknown[])[0] : undefined
    current = e.inner ?? e.cause ?? first
  }
  return names
}

/** True when IndexedDB refused a write because a unique index (e.g. `[stream+version]`) already holds the key. */
export function isConstraintError(error: unknown): boolean {
  return errorNames(error).includes('ConstraintError')
}

/** Maps IndexedDB / Dexie failures to StorageError codes; Cairn errors pass through. */
export function toStorageError(error: unknown): CairnError {
  if (error instanceof CairnError) return error
  const names = errorNames(error)
  const message = error instanceof Error ? error.message : String(error)
  if (names.includes('QuotaExceededError')) {
    return new StorageError('QUOTA', `Storage quota exceeded; nothing was written. ${message}`)
  }
  if (names.includes('ConstraintError')) {
    return new StorageError('CONSTRAINT', `A unique index already holds this value: ${message}`, { names })
  }
  if (names.includes('DataCloneError')) {
    return new StorageError('NOT_CLONEABLE', `Data cannot be stored (it is not structured-cloneable): ${message}`)
  }
  return new StorageError('FAILED', `Storage failed: ${message}`, { names })
}
