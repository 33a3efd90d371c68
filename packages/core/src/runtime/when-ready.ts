/**
 * Starts a subscription once `ready` resolves, unless it was cancelled before; returns the function that
 * cancels it (before or after it started). `onFailed` hears a boot that failed.
 */
export function subscribeWhenReady(
  ready: Promise<void>,
  start: () => (() => void) | undefined,
  onFailed?: (error: unknown) => void,
): () => void {
  let stop: (() => void) | undefined
  let cancelled = false
  ready.then(
    () => {
      if (!cancelled) stop = start()
    },
    (error: unknown) => {
      if (!cancelled) onFailed?.(error)
    },
  )
  return () => {
    cancelled = true
    stop?.()
  }
}
