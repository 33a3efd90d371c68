/** Names of Cairn's error kinds; stable across the worker boundary. */
export type CairnErrorName =
  | 'ValidationError'
  | 'CommandRejected'
  | 'ConcurrencyError'
  | 'StorageError'
  | 'UnknownPathError'
  | 'HandlerError'
  | 'SyncError'
  | 'ClosedError'

/** One problem found by a schema, in Standard Schema form. */
export interface ValidationIssue {
  message: string
  path?: (string | number)[]
}

/** A plain, structured-cloneable form of a Cairn error. */
export interface SerializedCairnError {
  name: CairnErrorName
  code: string
  message: string
  details?: unknown
}

/**
 * Base class of every error Cairn throws. Identify errors by `name` and `code`, not by prototype:
 * they are rebuilt on the other side of the worker boundary.
 */
export class CairnError extends Error {
  override readonly name: CairnErrorName
  /** Stable code: the app's rejection code for `CommandRejected`, a Cairn code otherwise. */
  readonly code: string
  readonly details: unknown

  constructor(name: CairnErrorName, code: string, message: string, details?: unknown) {
    super(message)
    this.name = name
    this.code = code
    this.details = details
  }

  /** A structured-cloneable copy of this error. */
  toJSON(): SerializedCairnError {
    return { name: this.name, code: this.code, message: this.message, details: this.details }
  }
}

/** Input or event data failed its schema. `details` lists the issues. */
export class ValidationError extends CairnError {
  constructor(message: string, issues: ValidationIssue[]) {
    super('ValidationError', 'VALIDATION', message, { issues })
  }
  get issues(): ValidationIssue[] {
    return (this.details as { issues: ValidationIssue[] }).issues
  }
}

/** The command's `decide` rejected it with the app's `code`. */
export class CommandRejected<Code extends string = string> extends CairnError {
  declare readonly code: Code
  constructor(code: Code, message?: string, details?: unknown) {
    super('CommandRejected', code, message ?? `Command rejected: ${code}`, details)
  }
}

/** The stream was not at the expected version. */
export class ConcurrencyError extends CairnError {
  constructor(stream: string, expected: number | string, actual: number) {
    super('ConcurrencyError', 'CONCURRENCY', `Stream ${stream} is at version ${actual}, expected ${expected}`, {
      stream,
      expected,
      actual,
    })
  }
}

/**
 * Storage codes: `QUOTA` (quota exceeded), `NOT_CLONEABLE` (data cannot be stored), `CONSTRAINT` (a unique index
 * of a read model already holds the value), `FAILED` (anything else).
 */
export type StorageErrorCode = 'QUOTA' | 'NOT_CLONEABLE' | 'CONSTRAINT' | 'FAILED'

/** IndexedDB refused the write. Nothing of the command was stored. */
export class StorageError extends CairnError {
  constructor(code: StorageErrorCode, message: string, details?: unknown) {
    super('StorageError', code, message, details)
  }
}

/** No command or query with that path exists in the domain. */
export class UnknownPathError extends CairnError {
  constructor(kind: 'command' | 'query', path: string, known: string[]) {
    super(
      'UnknownPathError',
      'UNKNOWN_PATH',
      `Unknown ${kind} path '${path}'. Known: ${known.join(', ') || '(none)'}`,
      {
        kind,
        path,
      },
    )
  }
}

/** A `decide` function or projection handler threw. The whole transaction was aborted. */
export class HandlerError extends CairnError {
  constructor(where: string, cause: unknown) {
    super(
      'HandlerError',
      'HANDLER_FAILED',
      `${where} threw: ${cause instanceof Error ? cause.message : String(cause)}`,
      {
        where,
      },
    )
  }
}

/**
 * Sync codes: `SYNC_PAUSED` (syncNow while paused), `SERVER_RESET` (the server's backendId changed),
 * `SPACE_MISMATCH` (the database synced another space), `NO_SYNC` (no sync configured), `NETWORK`, or the
 * server's own error code (`CONFLICT`, `UNAUTHORIZED`, ...).
 */
export class SyncError extends CairnError {
  constructor(code: string, message: string, details?: unknown) {
    super('SyncError', code, message, details)
  }
}

/** The client or runtime was closed. */
export class ClosedError extends CairnError {
  constructor() {
    super('ClosedError', 'CLOSED', 'The Cairn runtime is closed')
  }
}

/** Turns a serialized error back into the matching class. */
export function reviveError(e: SerializedCairnError): CairnError {
  const err = new CairnError(e.name, e.code, e.message, e.details)
  const proto = {
    ValidationError: ValidationError.prototype,
    CommandRejected: CommandRejected.prototype,
    ConcurrencyError: ConcurrencyError.prototype,
    StorageError: StorageError.prototype,
    UnknownPathError: UnknownPathError.prototype,
    HandlerError: HandlerError.prototype,
    SyncError: SyncError.prototype,
    ClosedError: ClosedError.prototype,
  }[e.name as string]
  if (proto) Object.setPrototypeOf(err, proto)
  return err
}

/** Narrows `error` to a Cairn error, optionally of one kind. */
export function isCairnError(error: unknown, name?: CairnErrorName): error is CairnError {
  return (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as CairnError).code === 'string' &&
    typeof (error as CairnError).name === 'string' &&
    (name === undefined ? true : (error as CairnError).name === name)
  )
}
