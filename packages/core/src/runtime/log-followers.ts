/**
 * What follows the log as it grows. After a commit or a pull the status moves on (position, unknown event
 * types, and without sync the pending count), the sync loop wakes, async projections catch up and reactors run.
 * Reactors run in one tab per database (Web Locks), or in every tab where locks are missing.
 */
import type { Dexie } from 'dexie'
import type { PullOutcome } from '../sync/apply-pull'
import type { CommandRequest, CommandResult } from './executor'
import { electLeader } from './leader'
import type { LoadedDomain } from './loaded-domain'
import type { Processing } from './processing'
import { ReactorRunner } from './reactors'
import type { RuntimeStatus, StatusHub } from './status'

/** What the followers need from the runtime that owns them. */
export interface LogFollowersHost {
  status: StatusHub<RuntimeStatus>
  /** The async projections' scheduler. */
  processing: Processing
  /** The runtime syncs: the pending count then comes from the shared journal, not from commits here. */
  syncs: boolean
  /** Wakes the sync loop (nothing without sync). */
  pokeSync: () => void
  /** What reactors need. */
  loaded: LoadedDomain
  clientId: () => string
  execute: (path: string, request: CommandRequest) => Promise<CommandResult>
  isClosed: () => boolean
  /** The database name (names the reactors' election). */
  dbName: string
}

/** Tells the status, sync, async projections and reactors that the log grew (see the file comment). */
export class LogFollowers {
  private reactors: ReactorRunner | undefined

  constructor(private readonly host: LogFollowersHost) {}

  /**
   * Runs the domain's reactors over the booted database, in the tab elected to (see the file comment). Returns
   * the function that gives the election up, or undefined when the domain has no reactors.
   */
  startReactors(db: Dexie): (() => void) | undefined {
    const { host } = this
    const reactors = Object.values(host.loaded.domain.reactors ?? {})
    if (reactors.length === 0) return undefined
    const runner = new ReactorRunner(
      {
        db,
        loaded: host.loaded,
        clientId: host.clientId,
        execute: host.execute,
        status: host.status,
        isClosed: host.isClosed,
      },
      reactors,
    )
    return electLeader(`cairn-reactors:${host.dbName}`, () => {
      if (host.isClosed()) return
      this.reactors = runner
      runner.schedule()
    })
  }

  /** Commands were committed here; `position` is the last event appended (0 when none appended one). */
  committed(position: number, results: CommandResult[]): void {
    const { status } = this.host
    if (!this.host.syncs) {
      const appended = results.filter((r) => r.events.length > 0 && !r.duplicate).length
      if (appended > 0) status.update({ pending: status.get().pending + appended })
    }
    if (position === 0) return
    status.update({ position })
    this.host.pokeSync()
    this.host.processing.advance(position)
    this.reactors?.schedule()
  }

  /**
   * After a pull (or a refusal): projections moved on. Cached aggregate states need no clearing: each is tied to
   * its stream's head (event id and position), which every command re-reads, so a rebased stream reloads.
   */
  pulled(outcome: PullOutcome): void {
    const { status } = this.host
    const known = status.get().unknownEventTypes
    const unknown = outcome.unknownTypes.filter((t, i, all) => !known.includes(t) && all.indexOf(t) === i)
    if (unknown.length > 0) status.update({ unknownEventTypes: [...known, ...unknown] })
    if (outcome.lastPosition > 0) {
      status.update({ position: Math.max(status.get().position, outcome.lastPosition) })
      this.host.processing.advance(outcome.lastPosition)
    }
    this.reactors?.schedule()
  }
}
