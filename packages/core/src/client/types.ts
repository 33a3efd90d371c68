import type {
  AnyDomain,
  CommandInput,
  CommandPath,
  CommandRejectionCode,
  QueryArg,
  QueryPath,
  QueryResult,
} from '../domain/domain'
import type { CairnError } from '../domain/errors'
import type { ForgetResponse } from '../protocol'
import type { CommandRequest, CommandResult } from '../runtime/executor'
import type { FindOptions } from '../runtime/find'
import type { LogSnapshot } from '../runtime/log'
import type { PersonalDataExport } from '../runtime/personal-export'
import type { LogExport } from '../runtime/runtime'
import type { RejectedCommand, RuntimeStatus } from '../runtime/status'
import type { JoinSpaceOptions, ReuploadResult } from '../sync/engine'
import type { LeaveSpaceOptions, LeaveSpaceResult } from '../sync/leave-space'

export type { CommandRequest, CommandResult, ExpectedVersion } from '../runtime/executor'
export type { FieldCondition, FindOptions } from '../runtime/find'
export type { LogEntry, LogSnapshot } from '../runtime/log'
export type { RebuildProgress } from '../runtime/rebuild'
export type { LogExport } from '../runtime/runtime'
export type { QuarantinedEvent, RejectedCommand, RuntimeErrorReport, RuntimeStatus } from '../runtime/status'
export type { JoinSpaceOptions, ReuploadResult, SyncOptions } from '../sync/engine'
export type { LeaveSpaceOptions, LeaveSpaceResult } from '../sync/leave-space'

/** The argument list of a query: none when the query takes no argument. */
export type QueryArgs<D, P extends QueryPath<D>> =
  QueryArg<D, P> extends undefined ? [arg?: undefined] : [arg: QueryArg<D, P>]

/**
 * Rows of a projection's table, by projection name, as stored: each carries `space`, the space of the event that
 * wrote it.
 */
export type ProjectionRow<D, Name extends string> = D extends { projections: infer P }
  ? Name extends keyof P
    ? P[Name] extends { table: { __row?: infer Row } }
      ? Row & { space: string }
      : never
    : never
  : never

/** Names of a domain's projections. */
export type ProjectionName<D> = D extends { projections: infer P } ? keyof P & string : never

/**
 * A Cairn client: the same interface whether the runtime is in a worker (`createClient`) or in-process
 * (`createLocalClient`). Every path, input and result is typed from the domain.
 */
export interface CairnClient<D extends AnyDomain> {
  /**
   * Executes a command. Resolves with the appended events; rejects with a CairnError
   * (`CommandRejected` with the app's code, `ValidationError`, `ConcurrencyError`, `StorageError`, ...).
   * Commands are decided in the order `execute` was called, even when issued without awaiting each other.
   */
  execute<P extends CommandPath<D>>(path: P, request: CommandRequest<CommandInput<D, P>>): Promise<CommandResult>
  /** Runs a named query once. */
  query<P extends QueryPath<D>>(path: P, ...args: QueryArgs<D, P>): Promise<QueryResult<D, P>>
  /**
   * Subscribes to a named query: `listener` gets the current result, then every changed result.
   * Returns the function that ends the subscription.
   */
  subscribe<P extends QueryPath<D>>(
    path: P,
    arg: QueryArg<D, P>,
    listener: (result: QueryResult<D, P>) => void,
    onError?: (error: CairnError) => void,
  ): () => void
  /** Generic query over a projection's indexed fields. */
  find<N extends ProjectionName<D>>(
    projection: N,
    options?: FindOptions<ProjectionRow<D, N>>,
  ): Promise<ProjectionRow<D, N>[]>
  /** Live `find`. */
  subscribeFind<N extends ProjectionName<D>>(
    projection: N,
    options: FindOptions<ProjectionRow<D, N>>,
    listener: (rows: ProjectionRow<D, N>[]) => void,
    onError?: (error: CairnError) => void,
  ): () => void
  /** Subscribes to the runtime status (ready, rebuild progress, pending count, online). */
  subscribeStatus(listener: (status: RuntimeStatus) => void): () => void
  /** Resolves once every projection processed the log up to `position` (a `CommandResult` event position). */
  whenProcessed(position: number): Promise<void>
  /** Pauses sync for every tab of this database ("work offline"); persisted across reloads. */
  pauseSync(): Promise<void>
  /** Resumes sync. */
  resumeSync(): Promise<void>
  /** Runs one sync round now in this client's runtime; rejects when the server cannot be reached. */
  syncNow(): Promise<void>
  /**
   * Joins a space (kept across reloads, shared by tabs): sync pulls it and carries its pokes. `token` is the
   * space's own bearer token, if it has one. Its sync state shows in `status.spaces[space]`.
   */
  joinSpace(space: string, options?: JoinSpaceOptions): Promise<void>
  /**
   * Leaves a space: its events, commands and every read-model row derived from them are removed. Rejects with
   * a SyncError `UNSYNCED_WORK` (nothing removed; `status.spaces[space].pending` tells how much) unless
   * `discardPending`.
   */
  leaveSpace(space: string, options?: LeaveSpaceOptions): Promise<LeaveSpaceResult>
  /** Listens for commands that sync rejected (another device's change made them impossible). */
  onRejected(listener: (rejected: RejectedCommand) => void): () => void
  /** Removes a rejected command from `status.rejected`; throws a ValidationError for a command that is not rejected. */
  dismissRejected(commandId: string): Promise<void>
  /** Every local event and journaled command as JSON: keep local work before starting over (e.g. a server reset). */
  exportLog(): Promise<LogExport>
  /**
   * Asks the server to forget `subject` (crypto-shredding): in each of `spaces` (default: every joined space) the
   * subject's key is destroyed, and every member, this device included, erases its copy of the subject's
   * personal fields: they read as `REDACTED` from then on (read models are rebuilt). Resolves with the servers'
   * answers, in the order of the spaces. Every space is tried, whatever fails; when any failed it rejects with one
   * SyncError `FORGET_INCOMPLETE` whose `details` (`ForgetIncompleteDetails`) list every failed space with its
   * error (e.g. `FORBIDDEN` when the server does not allow this principal to) and every space where the forget
   * was done; its message names each failed space and why. Ask the failed spaces again: a forget is idempotent.
   */
  forgetSubject(subject: string, options?: { spaces?: readonly string[] }): Promise<ForgetResponse[]>
  /** Every personal field of `subject` this device can still read, from every joined space, as JSON. */
  exportPersonalData(subject: string): Promise<PersonalDataExport>
  /**
   * After a server reset (`status.lastError.code === 'SERVER_RESET'`): pushes this device's log to the new
   * server, adopts it and resumes sync. Rejects with a SyncError when the server was not reset.
   */
  reuploadToServer(): Promise<ReuploadResult>
  /** Live view of the event log (newest first) and the projections' checkpoints: a developer tool. */
  subscribeLog(options: { limit?: number }, listener: (log: LogSnapshot) => void): () => void
  /**
   * Closes the client (and its runtime, for a local client). A worker client first sends the commands issued
   * before it and waits for their answers; commands issued while it runs, and calls after it, fail with
   * `ClosedError`. It ends its worker: other clients of the same worker stop working too.
   */
  close(): Promise<void>
}

/** The rejection codes of a command path, for typed error handling. */
export type RejectionCode<D, P extends CommandPath<D>> = CommandRejectionCode<D, P>
