/**
 * The worker entry: `serve(domain, options)` runs the Cairn runtime in a (dedicated) Web Worker and exposes
 * it to the page through Comlink. The page talks to it with `createClient<typeof domain>(worker)`.
 */
import * as Comlink from 'comlink'
import { type Envelope, envelope } from './client/envelope'
import { coalesced, PushPorts, type PushTarget } from './client/pushes'
import type { AnyDomain } from './domain/domain'
import { CairnError } from './domain/errors'
import type { ForgetResponse } from './protocol'
import type { CommandRequest, CommandResult } from './runtime/executor'
import type { FindOptions } from './runtime/find'
import type { LiveListener, LiveResult } from './runtime/live-queries'
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
  /** Gives the worker the port it pushes this client's subscriptions on (see client/pushes.ts). */
  attach(client: string, port: MessagePort): void
  execute(path: string, request: CommandRequest): Promise<Envelope<CommandResult>>
  /** Commands issued in one task on the page, in order (see client/command-batches.ts): an answer each. */
  executeMany(calls: [string, CommandRequest][]): Promise<Envelope<CommandResult>[]>
  query(path: string, arg: unknown): Promise<Envelope<unknown>>
  find(projection: string, options: FindOptions): Promise<Envelope<unknown[]>>
  /** Pushes `LiveResult`s to `to`. */
  subscribe(path: string, arg: unknown, to: PushTarget): Envelope<void>
  /** Pushes `LiveResult`s to `to`. */
  subscribeFind(projection: string, options: FindOptions, to: PushTarget): Envelope<void>
  /** Pushes `RuntimeStatus`es to `to`, at most one per microtask (the latest). */
  subscribeStatus(to: PushTarget): void
  unsubscribe(to: PushTarget): void
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
  /** Pushes `RejectedCommand`s to `to`. */
  onRejected(to: PushTarget): void
  /** Pushes `LiveResult<LogSnapshot>`s to `to`. */
  subscribeLog(options: { limit?: number }, to: PushTarget): void
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
  const ports = new PushPorts()
  const subscriptions = new Map<string, () => void>()
  const keyOf = (to: PushTarget) => `${to.client} ${to.id}`
  const keep = (to: PushTarget, stop: () => void) => {
    subscriptions.get(keyOf(to))?.()
    subscriptions.set(keyOf(to), stop)
  }
  /** A live listener pushing to `to`; a result the page cannot receive is pushed as the error it is. */
  const live =
    (to: PushTarget): LiveListener =>
    (result) =>
      ports.send(to, result, (error) => ({ ok: false, error: error.toJSON() }) satisfies LiveResult)
  return {
    attach: (client, port) => ports.attach(client, port),
    execute: (path, request) => envelope(() => runtime.execute(path, request)),
    // The runtime hands commands to the executor in the order they were called (see runtime/commands.ts).
    executeMany: (calls) => Promise.all(calls.map(([path, request]) => envelope(() => runtime.execute(path, request)))),
    query: (path, arg) => envelope(() => runtime.query(path, arg)),
    find: (projection, options) => envelope(() => runtime.find(projection, options)),
    subscribe: (path, arg, to) => envelopeSync(() => keep(to, runtime.subscribe(path, arg, live(to)))),
    subscribeFind: (projection, options, to) =>
      envelopeSync(() => keep(to, runtime.subscribeFind(projection, options, live(to)))),
    subscribeStatus: (to) =>
      keep(to, runtime.status.subscribe(coalesced((status: RuntimeStatus) => ports.send(to, status)))),
    unsubscribe(to) {
      subscriptions.get(keyOf(to))?.()
      subscriptions.delete(keyOf(to))
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
    onRejected: (to) =>
      keep(
        to,
        runtime.onRejected((rejected: RejectedCommand) => ports.send(to, rejected)),
      ),
    subscribeLog: (options, to) => keep(to, runtime.subscribeLog(options, live(to) as LiveListener<LogSnapshot>)),
    liveQueryCount: () => runtime.liveQueryCount,
    async close() {
      for (const stop of subscriptions.values()) stop()
      subscriptions.clear()
      await runtime.close()
      ports.closeAll()
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
