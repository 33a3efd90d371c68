import type { AnyDomain } from '../domain/domain'
import { type CairnError, reviveError } from '../domain/errors'
import type { LogSnapshot } from '../runtime/log'
import { Runtime, type RuntimeOptions } from '../runtime/runtime'
import type { RejectedCommand, RuntimeStatus } from '../runtime/status'
import type { CairnClient, JoinSpaceOptions, LeaveSpaceOptions } from './types'

/** An in-process client, plus access to its runtime (for tests and Node). */
export interface LocalClient<D extends AnyDomain> extends CairnClient<D> {
  readonly runtime: Runtime
}

/**
 * Runs the runtime in this thread and returns a client with the same interface as the worker client.
 * For Node (with fake-indexeddb or another IndexedDB), tests and tools.
 */
export function createLocalClient<D extends AnyDomain>(domain: D, options: RuntimeOptions = {}): LocalClient<D> {
  const runtime = new Runtime(domain, options)
  return localClientFor<D>(runtime)
}

/** Wraps an existing runtime in the client interface. */
export function localClientFor<D extends AnyDomain>(runtime: Runtime): LocalClient<D> {
  const client = {
    runtime,
    execute: (path: string, request: never) => runtime.execute(path, request),
    query: (path: string, arg?: unknown) => runtime.query(path, arg),
    subscribe: (path: string, arg: unknown, listener: (v: unknown) => void, onError?: (e: CairnError) => void) =>
      runtime.subscribe(path, arg, (r) => (r.ok ? listener(r.value) : onError?.(reviveError(r.error)))),
    find: (projection: string, options?: never) => runtime.find(projection, options),
    subscribeFind: (
      projection: string,
      options: never,
      listener: (v: unknown) => void,
      onError?: (e: CairnError) => void,
    ) =>
      runtime.subscribeFind(projection, options, (r) =>
        r.ok ? listener(r.value as unknown[]) : onError?.(reviveError(r.error)),
      ),
    subscribeStatus: (listener: (s: RuntimeStatus) => void) => runtime.status.subscribe(listener),
    whenProcessed: (position: number) => runtime.whenProcessed(position),
    pauseSync: () => runtime.pauseSync(),
    resumeSync: () => runtime.resumeSync(),
    syncNow: () => runtime.syncNow(),
    joinSpace: (space: string, options?: JoinSpaceOptions) => runtime.joinSpace(space, options),
    leaveSpace: (space: string, options?: LeaveSpaceOptions) => runtime.leaveSpace(space, options),
    onRejected: (listener: (r: RejectedCommand) => void) => runtime.onRejected(listener),
    dismissRejected: (commandId: string) => runtime.dismissRejected(commandId),
    exportLog: () => runtime.exportLog(),
    forgetSubject: (subject: string, options?: { spaces?: readonly string[] }) =>
      runtime.forgetSubject(subject, options),
    exportPersonalData: (subject: string) => runtime.exportPersonalData(subject),
    reuploadToServer: () => runtime.reuploadToServer(),
    subscribeLog: (options: { limit?: number }, listener: (log: LogSnapshot) => void) =>
      runtime.subscribeLog(options, (r) => r.ok && listener(r.value)),
    close: () => runtime.close(),
  }
  return client as unknown as LocalClient<D>
}
