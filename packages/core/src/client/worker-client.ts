import * as Comlink from 'comlink'
import type { AnyDomain } from '../domain/domain'
import { type CairnError, ClosedError, reviveError, StorageError } from '../domain/errors'
import type { LiveResult } from '../runtime/live-queries'
import type { LogSnapshot } from '../runtime/log'
import type { RejectedCommand, RuntimeStatus } from '../runtime/status'
import type { WorkerApi } from '../worker'
import type { Envelope } from './envelope'
import type { CairnClient, JoinSpaceOptions, LeaveSpaceOptions } from './types'

function unwrap<T>(e: Envelope<T>): T {
  if (e.ok) return e.value
  throw reviveError(e.error)
}

function mapPostError(error: unknown): unknown {
  if ((error as { name?: string })?.name === 'DataCloneError') {
    return new StorageError(
      'NOT_CLONEABLE',
      `Data cannot be sent to the worker (not structured-cloneable): ${(error as Error).message}`,
    )
  }
  return error
}

/** Options of {@link createClient}. */
export interface CreateClientOptions {
  /** Ask the browser to keep this origin's data (`navigator.storage.persist()`). Default true. */
  persistStorage?: boolean
}

/**
 * Connects to a worker that called `serve(domain)`. Import the domain as a type only:
 *
 * ```ts
 * import type { domain } from './domain'
 * const cairn = createClient<typeof domain>(new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' }))
 * ```
 */
export function createClient<D extends AnyDomain>(
  worker: Comlink.Endpoint,
  options: CreateClientOptions = {},
): CairnClient<D> {
  const api = Comlink.wrap<WorkerApi>(worker)
  let closed = false
  // Only a page may ask the browser to keep its data; the worker reports the answer in the status.
  const storage = typeof navigator !== 'undefined' ? navigator.storage : undefined
  if (options.persistStorage !== false && typeof storage?.persist === 'function') {
    storage.persist().then(
      () => api.checkPersistence(),
      () => {},
    )
  }
  // A dedicated worker does not always receive `online` events; forward the page's.
  const onOnline = () => void api.pokeSync()
  if (typeof addEventListener === 'function') {
    addEventListener('online', onOnline)
    addEventListener('offline', onOnline)
  }
  const call = async <T>(fn: () => Promise<Envelope<T>>): Promise<T> => {
    if (closed) throw new ClosedError()
    let result: Envelope<T>
    try {
      result = await fn()
    } catch (error) {
      throw mapPostError(error)
    }
    return unwrap(result)
  }
  const live = (
    start: (listener: (r: LiveResult) => void) => Promise<Envelope<number>>,
    listener: (value: never) => void,
    onError?: (error: CairnError) => void,
  ) => {
    let stopped = false
    let id: number | undefined
    const proxy = Comlink.proxy((r: LiveResult) => {
      if (stopped) return
      if (r.ok) listener(r.value as never)
      else onError?.(reviveError(r.error))
    })
    start(proxy).then(
      (e) => {
        if (!e.ok) {
          onError?.(reviveError(e.error))
          return
        }
        id = e.value
        if (stopped) void api.unsubscribe(id)
      },
      (error) => onError?.(mapPostError(error) as CairnError),
    )
    return () => {
      if (stopped) return
      stopped = true
      if (id !== undefined && !closed) void api.unsubscribe(id)
    }
  }
  /** A worker → page callback channel (status, rejections, log): ends on unsubscribe or close. */
  const channel = <T>(start: (proxy: (value: T) => void) => Promise<number>, listener: (value: T) => void) => {
    let stopped = false
    let id: number | undefined
    start(Comlink.proxy((value: T) => (stopped ? undefined : listener(value)))).then(
      (value) => {
        id = value
        if (stopped) void api.unsubscribe(value)
      },
      // The worker is closed or gone: every call through this client reports it; this channel has nothing to stop.
      () => {},
    )
    return () => {
      stopped = true
      if (id !== undefined && !closed) void api.unsubscribe(id)
    }
  }
  const client = {
    execute: (path: string, request: never) => call(() => api.execute(path, request)),
    query: (path: string, arg?: unknown) => call(() => api.query(path, arg)),
    find: (projection: string, options: never = {} as never) => call(() => api.find(projection, options)),
    subscribe: (path: string, arg: unknown, listener: (v: never) => void, onError?: (e: CairnError) => void) =>
      live((proxy) => api.subscribe(path, arg, proxy), listener, onError),
    subscribeFind: (
      projection: string,
      options: never,
      listener: (v: never) => void,
      onError?: (e: CairnError) => void,
    ) => live((proxy) => api.subscribeFind(projection, options, proxy), listener, onError),
    subscribeStatus: (listener: (status: RuntimeStatus) => void) =>
      channel((proxy) => api.subscribeStatus(proxy), listener),
    onRejected: (listener: (r: RejectedCommand) => void) => channel((proxy) => api.onRejected(proxy), listener),
    subscribeLog: (options: { limit?: number }, listener: (log: LogSnapshot) => void) =>
      channel(
        (proxy) => api.subscribeLog(options, proxy as never),
        (r: LiveResult<LogSnapshot>) => r.ok && listener(r.value),
      ),
    pauseSync: () => api.pauseSync(),
    resumeSync: () => api.resumeSync(),
    syncNow: () => call(() => api.syncNow()),
    joinSpace: (space: string, options?: JoinSpaceOptions) => call(() => api.joinSpace(space, options ?? {})),
    leaveSpace: (space: string, options?: LeaveSpaceOptions) => call(() => api.leaveSpace(space, options ?? {})),
    dismissRejected: (commandId: string) => call(() => api.dismissRejected(commandId)),
    exportLog: () => call(() => api.exportLog()),
    forgetSubject: (subject: string, options?: { spaces?: readonly string[] }) =>
      call(() => api.forgetSubject(subject, options ?? {})),
    exportPersonalData: (subject: string) => call(() => api.exportPersonalData(subject)),
    reuploadToServer: () => call(() => api.reuploadToServer()),
    whenProcessed: (position: number) => api.whenProcessed(position),
    async close() {
      if (closed) return
      if (typeof removeEventListener === 'function') {
        removeEventListener('online', onOnline)
        removeEventListener('offline', onOnline)
      }
      await api.close()
      closed = true
      api[Comlink.releaseProxy]()
      if ('terminate' in worker && typeof worker.terminate === 'function') worker.terminate()
    },
  }
  return client as unknown as CairnClient<D>
}
