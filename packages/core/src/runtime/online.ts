/**
 * `status.online`: the environment's idea of being online (`navigator.onLine`), read at start and kept current by
 * its `online` / `offline` events where it has them. A dedicated worker does not always receive those: the page
 * forwards its own (`pokeSync`).
 */
import type { RuntimeStatus, StatusHub } from './status'

/** `navigator.onLine`, or true where there is no navigator (Node). */
export function onlineNow(): boolean {
  return typeof navigator === 'undefined' ? true : navigator.onLine
}

/** Keeps `status.online` current; returns the function that stops it, or undefined without events to listen to. */
export function watchOnline(status: StatusHub<RuntimeStatus>): (() => void) | undefined {
  if (typeof addEventListener !== 'function') return undefined
  const online = () => status.update({ online: true })
  const offline = () => status.update({ online: false })
  addEventListener('online', online)
  addEventListener('offline', offline)
  return () => {
    removeEventListener('online', online)
    removeEventListener('offline', offline)
  }
}
