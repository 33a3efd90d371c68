import * as Comlink from 'comlink'
import type { AnyDomain } from '../domain/domain'
import { type CairnError, ClosedError, reviveError, StorageError } from '../domain/errors'
import type { LiveResult } from '../runtime/live-queries'
import type { LogSnapshot } from '../runtime/log'
import type { RejectedCommand, RuntimeStatus } from '../runtime/status'
import type { WorkerApi } from '../worker'
import { CommandBatches } from './command-batches'
import type { Envelope } from './envelope'
import type { PushMessage, PushTarget } from './pushes'
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
  // Comlink posts inside a promise, so a message that cannot be cloned only rejects, some microtasks later.
  // Batched commands must know at once, to resend each alone before anything issued later (command-batches.ts):
  // the endpoint keeps what its last post threw.
  let postFailure: unknown
  const endpoint: Comlink.Endpoint = {
    postMessage(message, transfer) {
      try {
        worker.postMessage(message, transfer)
      } catch (error) {
        postFailure = error
        throw error
      }
    },
    addEventListener: worker.addEventListener.bind(worker),
    removeEventListener: worker.removeEventListener.bind(worker),
    ...(worker.start ? { start: worker.start.bind(worker) } : {}),
  }
  const api = Comlink.wrap<WorkerApi>(endpoint)
  let closed = false
  /** Set when `close()` starts: the worker refuses commands from then on, and may be gone before it answers. */
  let closing: Promise<void> | undefined
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
  // Pushes from the worker (live results, status, rejections, log) arrive on a port of their own, unanswered.
  const clientKey = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`
  const listeners = new Map<number, (value: unknown) => void>()
  let nextListener = 1
  const pushes = new MessageChannel()
  pushes.port1.onmessage = (event: MessageEvent<PushMessage>) => listeners.get(event.data.id)?.(event.data.value)
  void api.attach(clientKey, Comlink.transfer(pushes.port2, [pushes.port2])).catch(() => {})
  /** Registers `listener` for pushes; returns where the worker should send them and how to stop. */
  const register = (listener: (value: unknown) => void) => {
    // As the in-process client does; Comlink would throw a plain "Proxy has been released" Error.
    if (closed) throw new ClosedError()
    const to: PushTarget = { client: clientKey, id: nextListener++ }
    listeners.set(to.id, listener)
    let stopped = false
    const stop = () => {
      if (stopped) return
      stopped = true
      listeners.delete(to.id)
      // Calls reach the worker in order: an unsubscribe sent now is handled after the subscribe it ends.
      if (!closed) void api.unsubscribe(to).catch(() => {})
    }
    return { to, stop }
  }
  const live = (
    start: (to: PushTarget) => Promise<Envelope<void>>,
    listener: (value: never) => void,
    onError?: (error: CairnError) => void,
  ) => {
    const { to, stop } = register((value) => {
      const r = value as LiveResult
      if (r.ok) listener(r.value as never)
      else onError?.(reviveError(r.error))
    })
    start(to).then(
      (e) => {
        if (e.ok) return
        stop()
        onError?.(reviveError(e.error))
      },
      (error) => {
        stop()
        onError?.(mapPostError(error) as CairnError)
      },
    )
    return stop
  }
  /** A worker → page channel (status, rejections, log): ends on unsubscribe or close. */
  const channel = <T>(start: (to: PushTarget) => Promise<void>, listener: (value: T) => void) => {
    const { to, stop } = register(listener as (value: unknown) => void)
    // The worker is closed or gone: every call through this client reports it; this channel has nothing to stop.
    start(to).catch(() => {})
    return stop
  }
  const commands = new CommandBatches({
    one: (path, request) => call(() => api.execute(path, request)),
    many: (calls) => {
      postFailure = undefined
      const answers = api.executeMany(calls)
      if (postFailure === undefined) return answers
      answers.catch(() => {})
      throw postFailure
    },
    unwrap,
    isCloneFailure: (error) => (error as { name?: string })?.name === 'DataCloneError',
    mapError: mapPostError,
  })
  const client = {
    execute: (path: string, request: never) =>
      closed || closing !== undefined ? Promise.reject(new ClosedError()) : commands.execute(path, request),
    query: (path: string, arg?: unknown) => call(() => api.query(path, arg)),
    find: (projection: string, options: never = {} as never) => call(() => api.find(projection, options)),
    subscribe: (path: string, arg: unknown, listener: (v: never) => void, onError?: (e: CairnError) => void) =>
      live((to) => api.subscribe(path, arg, to), listener, onError),
    subscribeFind: (
      projection: string,
      options: never,
      listener: (v: never) => void,
      onError?: (e: CairnError) => void,
    ) => live((to) => api.subscribeFind(projection, options, to), listener, onError),
    subscribeStatus: (listener: (status: RuntimeStatus) => void) => channel((to) => api.subscribeStatus(to), listener),
    onRejected: (listener: (r: RejectedCommand) => void) => channel((to) => api.onRejected(to), listener),
    subscribeLog: (options: { limit?: number }, listener: (log: LogSnapshot) => void) =>
      channel(
        (to) => api.subscribeLog(options, to),
        (r: LiveResult<LogSnapshot>) => r.ok && listener(r.value),
      ),
    pauseSync: () => (closed ? Promise.reject(new ClosedError()) : api.pauseSync()),
    resumeSync: () => (closed ? Promise.reject(new ClosedError()) : api.resumeSync()),
    syncNow: () => call(() => api.syncNow()),
    joinSpace: (space: string, options?: JoinSpaceOptions) => call(() => api.joinSpace(space, options ?? {})),
    leaveSpace: (space: string, options?: LeaveSpaceOptions) => call(() => api.leaveSpace(space, options ?? {})),
    dismissRejected: (commandId: string) => call(() => api.dismissRejected(commandId)),
    exportLog: () => call(() => api.exportLog()),
    forgetSubject: (subject: string, options?: { spaces?: readonly string[] }) =>
      call(() => api.forgetSubject(subject, options ?? {})),
    exportPersonalData: (subject: string) => call(() => api.exportPersonalData(subject)),
    reuploadToServer: () => call(() => api.reuploadToServer()),
    whenProcessed: (position: number) => (closed ? Promise.reject(new ClosedError()) : api.whenProcessed(position)),
    close() {
      if (closed) return Promise.resolve()
      closing ??= closeWorker()
      return closing
    },
  }
  async function closeWorker(): Promise<void> {
    // Commands issued before close() run and are answered first (those issued from now on are refused).
    await commands.drain()
    if (typeof removeEventListener === 'function') {
      removeEventListener('online', onOnline)
      removeEventListener('offline', onOnline)
    }
    await api.close()
    closed = true
    listeners.clear()
    pushes.port1.close()
    api[Comlink.releaseProxy]()
    // Comlink closes a MessagePort endpoint on release, but it sees the wrapper above, not the port.
    if (typeof MessagePort !== 'undefined' && worker instanceof MessagePort) worker.close()
    if ('terminate' in worker && typeof worker.terminate === 'function') worker.terminate()
  }
  return client as unknown as CairnClient<D>
}
