/**
 * The worker entry: `serve(domain, options)` runs the Cairn runtime in a (dedicated) Web Worker and exposes
 * it to the page through Comlink. The page talks to it with `createClient<typeof domain>(worker)`.
 */
import * as Comlink from 'comlink'
import { type Envelope, envelope } from './client/envelope'
import type { AnyDomain } from './domain/domain'
import { CairnError } from './domain/errors'
import type { ForgetResponse } from './protocol'
import type { CommandRequest, CommandResult } from './runtime/executor'
import type { FindOptions } from './runtime/find'
import type { LiveListener } from './runtime/live-queries'
import type { LogSnapshot } from './runtime/log'
import type { PersonalDataExport } from './runtime/personal-export'
import { type LogExport, Runtime, type RuntimeOptions } from './runtime/runtime'
import type { RejectedCommand, RuntimeStatus } from './runtime/status'
import { toStorageError } from './runtime/storage-errors'
import type { JoinSpaceOptions, ReuploadResult } from './sync/engine'
import type { LeaveSpaceOptions, LeaveSpaceResult } from './sync/leave-space'

export type { RuntimeOptions } from './runtime/runtime'

/** The API a worker exposes over Comlink. Internal: use `createClient` on the page. */
export interface WorkerApi {
  execute(path: string, request: CommandRequest): Promise<Envelope<CommandResult>>
  query(path: string, arg: unknown): Promise<Envelope<unknown>>
  find(projection: string, options: FindOptions): Promise<Envelope<unknown[]>>
  subscribe(path: string, arg: unknown, listener: LiveListener): Envelope<number>
  subscribeFind(projection: string, options: FindOptions, listener: LiveListener): Envelope<number>
  subscribeStatus(listener: (status: RuntimeStatus) => void): number
  unsubscribe(id: number): void
  whenProcessed(position: number): Promise<void>
  pauseSync(): Promise<void>
  resumeSync(): Promise<void>
  pokeSync(): void
  /** Re-reads whether storage is persisted (the page asked the browser). */
  checkPersistence(): Promise<void>
  syncNow(): Promise<Envelope<void>>
  joinSpace(space: string, options: JoinSpaceOptions): Promise<Envelope<void>>
  leaveSpace(space: string, options: LeaveSpaceOptions): Promise<Envelope<LeaveSpaceResult>>
  dismissRejected(commandId: string): Promise<Envelope<void>>
  exportLog(): Promise<Envelope<LogExport>>
  forgetSubject(subject: string, options: { spaces?: readonly string[] }): Promise<Envelope<ForgetResponse[]>>
  exportPersonalData(subject: string): Promise<Envelope<PersonalDataExport>>
  reuploadToServer(): Promise<Envelope<ReuploadResult>>
  onRejected(listener: (rejected: RejectedCommand) => void): number
  subscribeLog(options: { limit?: number }, listener: LiveListener<LogSnapshot>): number
  /** Diagnostics: distinct live queries running in the worker. */
  liveQueryCount(): number
  close(): Promise<void>
}

/** Runs `fn` and wraps its outcome (an unknown path throws synchronously) in an envelope. */
function envelopeSync<T>(fn: () => T): Envelope<T> {
  try {
    return { ok: true, value: fn() }
  } catch (error) {
    return { ok: false, error: (error instanceof CairnError ? error : toStorageError(error)).toJSON() }
  }
}

/** Builds the Comlink-exposed API around a runtime. */
export function workerApi(runtime: Runtime): WorkerApi {
  const subscriptions = new Map<number, () => void>()
  let nextId = 1
  const keep = (listener: object, stop: () => void) => {
    const id = nextId++
    subscriptions.set(id, () => {
      stop()
      ;(listener as { [Comlink.releaseProxy]?: () => void })[Comlink.releaseProxy]?.()
    })
    return id
  }
  return {
    execute: (path, request) => envelope(() => runtime.execute(path, request)),
    query: (path, arg) => envelope(() => runtime.query(path, arg)),
    find: (projection, options) => envelope(() => runtime.find(projection, options)),
    subscribe: (path, arg, listener) =>
      envelopeSync(() =>
        keep(
          listener,
          runtime.subscribe(path, arg, (r) => void listener(r)),
        ),
      ),
    subscribeFind: (projection, options, listener) =>
      envelopeSync(() =>
        keep(
          listener,
          runtime.subscribeFind(projection, options, (r) => void listener(r)),
        ),
      ),
    subscribeStatus: (listener) =>
      keep(
        listener,
        runtime.status.subscribe((s) => void listener(s)),
      ),
    unsubscribe(id) {
      subscriptions.get(id)?.()
      subscriptions.delete(id)
    },
    whenProcessed: (position) => runtime.whenProcessed(position),
    pauseSync: () => runtime.pauseSync(),
    resumeSync: () => runtime.resumeSync(),
    pokeSync: () => runtime.pokeSync(),
    checkPersistence: () => runtime.checkPersistence(),
    syncNow: () => envelope(() => runtime.syncNow()),
    joinSpace: (space, options) => envelope(() => runtime.joinSpace(space, options)),
    leaveSpace: (space, options) => envelope(() => runtime.leaveSpace(space, options)),
    dismissRejected: (commandId) => envelope(() => runtime.dismissRejected(commandId)),
    exportLog: () => envelope(() => runtime.exportLog()),
    forgetSubject: (subject, options) => envelope(() => runtime.forgetSubject(subject, options)),
    exportPersonalData: (subject) => envelope(() => runtime.exportPersonalData(subject)),
    reuploadToServer: () => envelope(() => runtime.reuploadToServer()),
    onRejected: (listener) =>
      keep(
        listener,
        runtime.onRejected((r) => void listener(r)),
      ),
    subscribeLog: (options, listener) =>
      keep(
        listener,
        runtime.subscribeLog(options, (r) => void listener(r)),
      ),
    liveQueryCount: () => runtime.liveQueryCount,
    async close() {
      for (const stop of subscriptions.values()) stop()
      subscriptions.clear()
      await runtime.close()
    },
  }
}

/**
 * Runs the domain in this worker and exposes it to the page. Call it once, at the top of your worker module:
 *
 * ```ts
 * import { serve } from '@cairn/core/worker'
 * import { domain } from './domain'
 * serve(domain, { name: 'kanban' })
 * ```
 */
export function serve(domain: AnyDomain, options: RuntimeOptions = {}): Runtime {
  const runtime = new Runtime(domain, options)
  Comlink.expose(workerApi(runtime))
  return runtime
}
