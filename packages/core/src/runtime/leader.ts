/**
 * Elects one context (tab or worker) per `name` with the Web Locks API: `onElected` runs in the one holding
 * the lock, and the next waiting context takes over when it closes. Returns the function that gives the lock
 * up (or stops waiting for it). Where Web Locks are missing, every context is elected.
 */
export function electLeader(name: string, onElected: () => void): () => void {
  const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined
  if (!locks) {
    onElected()
    return () => {}
  }
  let given = false
  let release: (() => void) | undefined
  const waiting = new AbortController()
  locks
    .request(name, { signal: waiting.signal }, () => {
      if (given) return undefined
      onElected()
      return new Promise<void>((resolve) => {
        release = resolve
      })
    })
    .catch(() => {})
  return () => {
    given = true
    if (release) release()
    else waiting.abort()
  }
}
