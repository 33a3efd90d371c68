import { StorageError } from '../domain/errors'

/**
 * Worker → page pushes (live query results, status, rejections, log snapshots) travel on one MessagePort per
 * client, as plain messages the page does not answer. Comlink's proxies would cost a reply message, a promise
 * and a UUID per push on both threads: a command that changes a live query's result pushes the result and a
 * status, so those replies were a fair share of a command's CPU.
 */

/** Where a push goes: the client's push port and the listener the page registered under `id`. */
export interface PushTarget {
  client: string
  id: number
}

/** One push on a client's push port. */
export interface PushMessage {
  id: number
  value: unknown
}

/** The worker's side: the clients' push ports, and sending on them. */
export class PushPorts {
  private readonly ports = new Map<string, MessagePort>()

  attach(client: string, port: MessagePort): void {
    this.ports.get(client)?.close()
    this.ports.set(client, port)
  }

  /**
   * Posts `value` to the target's listener. A value that cannot be cloned (a read model row holding a function,
   * say) is replaced by what `onUncloneable` makes of the error, so the listener hears why instead of nothing.
   */
  send(to: PushTarget, value: unknown, onUncloneable?: (error: StorageError) => unknown): void {
    const port = this.ports.get(to.client)
    if (!port) return
    try {
      port.postMessage({ id: to.id, value } satisfies PushMessage)
    } catch (error) {
      if (!onUncloneable) throw error
      const failure = new StorageError(
        'NOT_CLONEABLE',
        `A result cannot be sent to the page (not structured-cloneable): ${(error as Error).message}`,
      )
      port.postMessage({ id: to.id, value: onUncloneable(failure) } satisfies PushMessage)
    }
  }

  closeAll(): void {
    for (const port of this.ports.values()) port.close()
    this.ports.clear()
  }
}

/**
 * Calls `send` with the latest value at most once per microtask: a commit moves several status fields one
 * after another (pending, position), and the page needs only where they ended.
 */
export function coalesced<T>(send: (value: T) => void): (value: T) => void {
  let latest: T
  let queued = false
  return (value) => {
    latest = value
    if (queued) return
    queued = true
    queueMicrotask(() => {
      queued = false
      send(latest)
    })
  }
}
