/**
 * What a sync round works with: the engine's parts that pushing, pulling and re-uploading share (handed down
 * explicitly, never the engine itself), and the round's request budget.
 */
import { SyncError } from '../domain/errors'
import type { PullDeps, PullOutcome } from './apply-pull'
import type { ForgetResult } from './forget-local'
import type { SpaceRegistry } from './space-registry'
import type { SubjectKeyring } from './subject-keys'
import type { SyncOptions } from './sync-options'
import type { SpacesTransport } from './transport'

export interface RoundContext {
  transport: SpacesTransport
  /** What applying a pull (or a refusal) needs of the host. */
  deps: PullDeps
  /**
   * Ids of pushed events the server accepted, until a pull brings them back: the outbox does not push them again.
   */
  accepted: Set<string>
  registry: SpaceRegistry
  options: SyncOptions
  budget: RequestBudget
  /** The owner's listener for applied pulls and refusals. */
  onApplied(outcome: PullOutcome): void
  /** Subject keys of personal data, fetched as pushes and pulls need them. */
  keyring: SubjectKeyring
  /** Undo is recorded for pending events (a rebuild after an erasure records it again). */
  recordUndo: boolean
  /** The owner's listener for erasures of a forgotten subject's data. */
  onForgotten(result: ForgetResult): void
}

/** The requests one round may make, per direction. */
export class RequestBudget {
  /** Requests made in this round, per direction: a push loop can never starve the pull. */
  private readonly requests = { push: 0, pull: 0 }

  constructor(
    private readonly options: Pick<SyncOptions, 'maxRequestsPerRound'>,
    /** Whether sync is paused (read at every request). */
    private readonly paused: () => boolean,
  ) {}

  /** A new round: nothing spent yet. */
  reset(): void {
    this.requests.push = 0
    this.requests.pull = 0
  }

  /**
   * Counts a request against the round's budget (per direction): no loop, however it is driven, runs forever.
   * Also where a pause takes effect inside a round: nothing leaves the device once `pauseSync()` resolved.
   */
  spend(direction: 'push' | 'pull'): void {
    if (this.paused()) throw new SyncError('SYNC_PAUSED', 'Sync was paused: the round stopped')
    this.requests[direction] += 1
    const max = this.options.maxRequestsPerRound ?? 1000
    if (this.requests[direction] > max)
      throw new SyncError('TOO_MANY_REQUESTS', `a sync round made more than ${max} ${direction} requests`)
  }
}
