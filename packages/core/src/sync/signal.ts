/** A wake-up signal: `notify()` before `wait()` is not lost. */
export class Signal {
  private pending = false
  private waiter: (() => void) | undefined

  notify(): void {
    this.pending = true
    const w = this.waiter
    this.waiter = undefined
    w?.()
  }

  /** Resolves on the next notify (or a pending one), or after `timeoutMs`; says which. */
  wait(timeoutMs: number): Promise<'notified' | 'timeout'> {
    if (this.pending) {
      this.pending = false
      return Promise.resolve('notified')
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = undefined
        resolve('timeout')
      }, timeoutMs)
      this.waiter = () => {
        clearTimeout(timer)
        this.pending = false
        resolve('notified')
      }
    })
  }
}

/** Exponential backoff with full jitter: a random delay in [0, min(max, base·2^attempt)]. */
export function backoffDelay(attempt: number, base = 500, max = 30_000, random: () => number = Math.random): number {
  const ceiling = Math.min(max, base * 2 ** Math.max(0, attempt - 1))
  return Math.round(ceiling / 2 + (random() * ceiling) / 2)
}
