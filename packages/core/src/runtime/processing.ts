import type { Dexie } from 'dexie'
import type { LoadedDomain } from './loaded-domain'
import { catchUp } from './rebuild'
import type { RuntimeErrorReport } from './status'
import { toStorageError } from './storage-errors'

/** What the scheduler needs from the runtime that owns it. */
export interface ProcessingHost {
  db: () => Dexie
  loaded: LoadedDomain
  recordUndo: boolean
  now: () => number
  isClosed: () => boolean
  report: (error: RuntimeErrorReport) => void
}

/**
 * Keeps async projections caught up after commits and pulls, and resolves `whenProcessed` waiters once every
 * projection has processed a position. Commits that land during a catch-up are coalesced into the next round.
 */
export class Processing {
  private processed = 0
  private target = 0
  private running = false
  private again = false
  private readonly waiters: { position: number; resolve: () => void }[] = []
  private readonly hasAsync: boolean

  constructor(private readonly host: ProcessingHost) {
    this.hasAsync = host.loaded.projections.some((p) => p.mode === 'async')
  }

  /** The highest position every projection has processed. */
  get position(): number {
    return this.processed
  }

  /** Starts from a position already processed (boot), or from scratch (a re-created database). */
  reset(position: number): void {
    this.processed = position
    this.target = Math.min(this.target, position)
  }

  /** The log grew to `position` (a commit or a pull): catch async projections up, then release waiters. */
  advance(position: number): void {
    if (!this.hasAsync) {
      this.markProcessed(position)
      return
    }
    this.target = Math.max(this.target, position)
    if (!this.running) void this.run()
  }

  /** Runs one catch-up round of the async projections even though nothing new was committed (after boot). */
  kick(): void {
    if (!this.hasAsync) return
    this.again = true
    if (!this.running) void this.run()
  }

  /** Resolves once every projection (async ones included) has processed the log up to `position`. */
  whenProcessed(position: number): Promise<void> {
    if (position <= this.processed) return Promise.resolve()
    return new Promise((resolve) => this.waiters.push({ position, resolve }))
  }

  private async run(): Promise<void> {
    this.running = true
    try {
      while ((this.again || this.target > this.processed) && !this.host.isClosed()) {
        this.again = false
        const target = Math.max(this.target, this.processed)
        for (const p of this.host.loaded.projections) {
          if (p.mode !== 'async' || this.host.isClosed()) continue
          // An event the projection cannot apply is quarantined inside; anything else (storage) is reported
          // and the next commit tries again.
          await catchUp(this.host.db(), this.host.loaded, p, {
            recordUndo: this.host.recordUndo,
            now: this.host.now,
          }).catch((error: unknown) => {
            if (this.host.isClosed()) return
            const e = toStorageError(error)
            this.host.report({ where: `catch-up:${p.name}`, code: e.code, message: e.message, at: this.host.now() })
          })
        }
        this.markProcessed(target)
      }
    } finally {
      this.running = false
    }
  }

  private markProcessed(position: number): void {
    this.processed = Math.max(this.processed, position)
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const w = this.waiters[i]
      if (w && w.position <= this.processed) {
        this.waiters.splice(i, 1)
        w.resolve()
      }
    }
  }
}
