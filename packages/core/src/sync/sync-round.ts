/**
 * One sync round over every joined space: push each active space, then pull them all; again for the spaces whose
 * push conflicted (the pull rebased them), at most 10 times. A space's failure is that space's alone; a failure of
 * the round as a whole (the network, storage, the request budget, a pause) ends it. Also: how long the loop waits
 * after a failed round, and whether the device is online.
 */
import { CairnError, SyncError } from '../domain/errors'
import { pullAll } from './pull-round'
import { Pusher } from './push-round'
import type { RoundContext } from './round-context'
import { backoffDelay } from './signal'
import { ServerResetError, syncErrorOf } from './sync-errors'
import { SyncHttpError } from './transport'

/** How a round ended. */
export interface RoundResult {
  /** When the round ended (the spaces that synced record it). */
  now: number
  /** A failure of the round as a whole; undefined when it ran to its end (it reached the server). */
  roundError: unknown
  /** The failure to report: the round's, else the first space's; undefined when every space synced. */
  first: unknown
}

export class SyncRound {
  private readonly pusher: Pusher

  constructor(private readonly ctx: RoundContext) {
    this.pusher = new Pusher(ctx)
  }

  /**
   * Runs a round over the active spaces, then records each joined space's outcome on it (`lastError`,
   * `lastSyncedAt`). Failures of the round and of its spaces are returned, not thrown.
   */
  async run(): Promise<RoundResult> {
    const { registry, budget } = this.ctx
    budget.reset()
    const failures = new Map<string, unknown>()
    // A failure of the round as a whole (the network, storage, the request budget), as opposed to one space's.
    let roundError: unknown
    try {
      let conflicts = new Set<string>(registry.active().map((s) => s.space))
      for (let round = 0; round < 10 && conflicts.size > 0; round++) {
        const next = new Set<string>()
        for (const s of registry.active()) {
          if (!conflicts.has(s.space)) continue
          try {
            if ((await this.pusher.pushAll(s)) === 'conflict') next.add(s.space)
          } catch (error) {
            if (error instanceof SyncError && (error.code === 'SYNC_PAUSED' || error.code === 'TOO_MANY_REQUESTS'))
              throw error
            failures.set(s.space, error)
            if (error instanceof ServerResetError) s.stopped = error
          }
        }
        await pullAll(this.ctx, failures)
        conflicts = next
        if (conflicts.size > 0 && round === 9)
          for (const space of conflicts)
            failures.set(
              space,
              new SyncHttpError(409, { code: 'CONFLICT', message: 'pushes kept conflicting after 10 rebases' }),
            )
      }
    } catch (error) {
      roundError = error
    }
    const now = this.ctx.deps.now()
    for (const s of registry.all.values()) {
      const failure = failures.get(s.space) ?? (s.stopped === undefined ? roundError : undefined)
      if (failure === undefined) {
        if (s.stopped === undefined) {
          s.lastError = null
          s.lastSyncedAt = now
        }
      } else s.lastError = isOnline() ? syncErrorOf(failure) : null
    }
    return { now, roundError, first: roundError ?? failures.values().next().value }
  }
}

/** How long the loop waits after a failed round (`attempt`: failed rounds in a row). */
export function retryDelay(error: unknown, attempt: number): number {
  if (error instanceof CairnError && error.name === 'HandlerError') return backoffDelay(6)
  if (error instanceof SyncHttpError) {
    if (error.retryAfterMs !== undefined) return Math.max(100, error.retryAfterMs)
    // Bad request, forbidden, too large, refused data: retrying soon cannot help; keep it visible and slow.
    if ([400, 401, 403, 413, 422].includes(error.status)) return backoffDelay(6)
  }
  return backoffDelay(attempt)
}

/** The environment's idea of being online (true where it has none). */
export function isOnline(): boolean {
  return typeof navigator === 'undefined' || navigator.onLine !== false
}
