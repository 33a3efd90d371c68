/**
 * The runtime's side of sync: starts the engine (and the election of the tab that syncs) when sync is
 * configured, keeps the joined spaces for commands, re-creates a lost database and pulls it again, watches
 * rejected commands, and carries out the runtime's sync calls (join, leave, pause, resume, poke, sync now,
 * re-upload). Every call waits for boot; the ones that need a server throw `NO_SYNC` without sync.
 */
import type { Dexie } from 'dexie'
import { SyncError, ValidationError } from '../domain/errors'
import type { ForgetResponse } from '../protocol'
import type { CommandRecord } from '../store/records'
import type { PullOutcome } from '../sync/apply-pull'
import { type JoinSpaceOptions, type ReuploadResult, SyncEngine, type SyncOptions } from '../sync/engine'
import type { LeaveSpaceOptions, LeaveSpaceResult } from '../sync/leave-space'
import { RejectionWatcher } from '../sync/rejections'
import { electLeader } from './leader'
import type { LoadedDomain } from './loaded-domain'
import type { Processing } from './processing'
import type { StateCache } from './state-cache'
import type { RejectedCommand, RuntimeErrorReport, RuntimeStatus, StatusHub } from './status'
import { toStorageError } from './storage-errors'
import { subscribeWhenReady } from './when-ready'

/** What the sync front needs from the runtime that owns it. */
export interface SyncFrontHost {
  loaded: LoadedDomain
  status: StatusHub<RuntimeStatus>
  /** The runtime's boot: every call waits for it. */
  ready: Promise<void>
  /** The open database (known once booted). */
  db: () => Dexie
  /** This database's client id (known once booted). */
  clientId: () => string
  /** The database name (names the leader election). */
  dbName: string
  newId: () => string
  now: () => number
  recordUndo: boolean
  /** Cached aggregate states: dropped after a leave and after a lost database. */
  cache: StateCache
  /** The projection scheduler: starts from scratch after a lost database. */
  processing: Processing
  /** A pull (or a refusal) was applied. */
  onApplied: (outcome: PullOutcome) => void
  /** Keeps a release for the runtime's `close`. */
  keep: (release: () => void) => void
  report: (error: RuntimeErrorReport) => void
}

/** Starts sync and carries out the runtime's sync calls (see the file comment). */
export class SyncFront {
  private engine: SyncEngine | undefined
  private rejections: RejectionWatcher | undefined
  private joinedSpaces: ReadonlySet<string> = new Set()
  /** A lost database being re-created: sync calls wait for it (the spaces to pull are joined again first). */
  private recovery: Promise<void> = Promise.resolve()

  constructor(private readonly host: SyncFrontHost) {}

  /** The joined spaces, as the engine last told (none before it started). */
  joined(): ReadonlySet<string> {
    return this.joinedSpaces
  }

  /** Starts the engine (at boot, when sync is configured) and runs for leader unless told not to. */
  async start(options: SyncOptions): Promise<void> {
    const { host } = this
    const db = host.db()
    const sync = new SyncEngine(
      {
        db,
        loaded: host.loaded,
        dbName: host.dbName,
        clientId: host.clientId(),
        newId: host.newId,
        now: host.now,
        status: host.status,
        recordUndo: host.recordUndo,
        onApplied: (outcome) => host.onApplied(outcome),
        // Cached states of the streams whose personal data was erased were computed from it.
        onForgotten: (result) => {
          for (const stream of result.streams) host.cache.delete(stream)
        },
        onSpaces: (joined) => {
          this.joinedSpaces = joined
        },
      },
      options,
    )
    this.engine = sync
    this.rejections = new RejectionWatcher(db, host.status)
    await sync.start()
    if (!sync.wantsLeadership) return
    if (options.leaderElection === false) sync.lead()
    else host.keep(electLeader(`cairn-sync:${host.dbName}`, () => sync.lead()))
  }

  /** The database was re-created empty under us: drop what described the old one and pull everything again. */
  recover(): void {
    this.recovery = this.recoverLostDatabase()
  }

  private async recoverLostDatabase(): Promise<void> {
    const { host } = this
    host.cache.clear()
    host.processing.reset(0)
    try {
      const db = host.db()
      await db.open()
      await db.table('meta').put({ key: 'clientId', value: host.clientId() })
      host.status.update({ position: 0 })
      await this.engine?.forgetCursor()
    } catch (error) {
      const e = toStorageError(error)
      host.report({ where: 'database', code: e.code, message: e.message, at: host.now() })
    }
  }

  /** Wakes the sync loop (the log grew); nothing without sync. */
  poke(): void {
    this.engine?.poke()
  }

  /** Re-reads `navigator.onLine` and wakes the sync loop. */
  pokeSync(): void {
    if (typeof navigator !== 'undefined') this.host.status.update({ online: navigator.onLine })
    this.engine?.poke()
  }

  /** Listens for commands that sync rejected (in any tab). */
  onRejected(listener: (rejected: RejectedCommand) => void): () => void {
    return subscribeWhenReady(this.host.ready, () => this.rejections?.listen(listener))
  }

  /** Removes a rejected command from the list (it stays in the journal, as `dismissed`). */
  async dismissRejected(commandId: string): Promise<void> {
    await this.host.ready
    const db = this.host.db()
    const commands = db.table<CommandRecord>('commands')
    await db.transaction('rw', commands, async () => {
      const command = await commands.get(commandId)
      if (command?.status !== 'rejected') {
        throw new ValidationError(
          `dismissRejected: command ${commandId} is ${command?.status ?? 'unknown'}, not rejected`,
          [{ message: 'only a rejected command can be dismissed', path: ['commandId'] }],
        )
      }
      await commands.update(commandId, { status: 'dismissed' })
    })
  }

  /** Re-uploads the confirmed log to a reset server. */
  async reupload(): Promise<ReuploadResult> {
    await this.host.ready
    return this.configured('reuploadToServer').reupload()
  }

  /** Joins a space. */
  async join(space: string, options: JoinSpaceOptions): Promise<void> {
    await this.host.ready
    await this.configured('joinSpace').join(space, options)
  }

  /** Leaves a space. */
  async leave(space: string, options: LeaveSpaceOptions): Promise<LeaveSpaceResult> {
    await this.host.ready
    const result = await this.configured('leaveSpace').leave(space, options)
    // Cached states of its streams are tied to heads that no longer exist; dropping them all is simplest.
    this.host.cache.clear()
    return result
  }

  /** Asks the server to forget a subject in the given (default: every joined) spaces. */
  async forgetSubject(subject: string, spaces?: readonly string[]): Promise<ForgetResponse[]> {
    await this.host.ready
    return this.configured('forgetSubject').forgetSubject(subject, spaces)
  }

  /** Pauses or resumes sync for every tab of this database; nothing without sync. */
  async setPaused(paused: boolean): Promise<void> {
    await this.host.ready
    await this.engine?.setPaused(paused)
  }

  /** Runs one sync round now, once a lost database is re-created. */
  async syncNow(): Promise<void> {
    await this.host.ready
    const sync = this.configured('syncNow')
    await this.recovery
    await sync.syncOnce()
  }

  /** Stops watching rejected commands (first in the runtime's `close`). */
  closeRejections(): void {
    this.rejections?.close()
  }

  /** Stops the engine. */
  close(): Promise<void> {
    return this.engine?.close() ?? Promise.resolve()
  }

  /** The engine, or a SyncError `NO_SYNC` naming the runtime call that needs one. */
  private configured(call: string): SyncEngine {
    if (!this.engine) throw new SyncError('NO_SYNC', `${call}: this runtime has no sync configured`)
    return this.engine
  }
}
