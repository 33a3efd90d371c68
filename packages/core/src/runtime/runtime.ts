import type { Dexie } from 'dexie'
import type { AnyDomain } from '../domain/domain'
import type { ForgetResponse } from '../protocol'
import type { CommandRecord, EventRecord } from '../store/records'
import type { JoinSpaceOptions, ReuploadResult } from '../sync/engine'
import type { LeaveSpaceOptions, LeaveSpaceResult } from '../sync/leave-space'
import { boot } from './boot'
import { Commands } from './commands'
import { type CommandRequest, type CommandResult, Executor, type RuntimeEnv } from './executor'
import type { FindOptions } from './find'
import type { LiveListener } from './live-queries'
import { LoadedDomain } from './loaded-domain'
import type { LogSnapshot } from './log'
import { LogFollowers } from './log-followers'
import { onlineNow, watchOnline } from './online'
import { exportPersonalData, type PersonalDataExport } from './personal-export'
import { Processing } from './processing'
import { type LogExport, Queries } from './queries'
import { databaseName, type RuntimeOptions, runtimeEnv } from './runtime-options'
import { DEFAULT_SPACE } from './space-choice'
import { StateCache } from './state-cache'
import { initialStatus, type RejectedCommand, type RuntimeErrorReport, type RuntimeStatus, StatusHub } from './status'
import { persistedStorage, watchDatabase } from './storage-health'
import { SyncFront } from './sync-front'
import { watchJournal } from './watch-journal'

export type { LogExport } from './queries'
export type { RuntimeOptions } from './runtime-options'

/**
 * The engine: owns the database, runs commands and queries, keeps projections current and live queries fresh.
 * Runs in a worker behind `serve`, or in-process behind `createLocalClient`. A facade over its parts: boot,
 * commands (Commands, then the Executor), reads (Queries), the async projections (Processing), what follows the
 * log (LogFollowers: status, reactors) and sync (SyncFront).
 */
export class Runtime {
  readonly loaded: LoadedDomain
  readonly status: StatusHub<RuntimeStatus>
  readonly ready: Promise<void>
  private db!: Dexie
  private executor!: Executor
  private readonly cache: StateCache
  private readonly commands: Commands
  private readonly reads: Queries
  private readonly env: RuntimeEnv
  private closed = false
  private readonly processing: Processing
  private readonly followers: LogFollowers
  private readonly releases: (() => void)[] = []
  private readonly syncing: SyncFront

  constructor(
    domain: AnyDomain,
    private readonly options: RuntimeOptions = {},
  ) {
    this.loaded = new LoadedDomain(domain)
    this.cache = new StateCache(options.stateCacheSize ?? 1000)
    this.env = runtimeEnv(domain, options, () => this.syncing.joined())
    this.status = new StatusHub<RuntimeStatus>(initialStatus(onlineNow(), options.sync !== undefined))
    // What the runtime's parts share (the database and the client id are known once booted).
    const shared = {
      loaded: this.loaded,
      status: this.status,
      dbName: databaseName(options),
      db: () => this.db,
      clientId: () => this.env.clientId,
      now: this.env.now,
      recordUndo: this.env.recordUndo,
      isClosed: () => this.closed,
      report: (error: RuntimeErrorReport) => this.report(error),
    }
    this.processing = new Processing(shared)
    this.ready = this.boot()
    this.ready.catch(() => {})
    // Built once `ready` exists: their calls wait for it. Boot reaches the sync front only after its first await.
    this.commands = new Commands({ ...shared, ready: this.ready, executor: () => this.executor })
    this.reads = new Queries({ ...shared, ready: this.ready })
    this.syncing = new SyncFront({
      ...shared,
      ready: this.ready,
      newId: this.env.newId,
      cache: this.cache,
      processing: this.processing,
      onApplied: (outcome) => this.followers.pulled(outcome),
      keep: (release) => this.releases.push(release),
    })
    this.followers = new LogFollowers({
      ...shared,
      processing: this.processing,
      syncs: Boolean(options.sync),
      pokeSync: () => this.syncing.poke(),
      execute: (path, request) => this.execute(path, request),
    })
  }

  /** Id of this database's client (UUIDv7, made once and kept in `meta`). */
  get clientId(): string {
    return this.env.clientId
  }

  /** The Dexie database (for the sync layer and tests). */
  get database(): Dexie {
    return this.db
  }

  /** Opens the database and catches projections up (boot.ts), then starts what runs over it. */
  private async boot(): Promise<void> {
    const booted = await boot(this.loaded, {
      ...this.options,
      name: databaseName(this.options),
      recordUndo: this.env.recordUndo,
      now: this.env.now,
      onProgress: (progress) => {
        this.status.update({ rebuilding: progress })
        if (progress) this.options.onProgress?.(progress)
      },
      report: (error) => this.report(error),
      legacySpace: this.options.sync?.space ?? DEFAULT_SPACE,
    })
    this.db = booted.db
    this.env.clientId = booted.clientId
    const last = await this.db.table<EventRecord>('events').orderBy('lpos').last()
    this.processing.reset(last?.lpos ?? 0)
    this.executor = new Executor(this.db, this.loaded, this.cache, this.env, (position, results) =>
      this.followers.committed(position, results),
    )
    this.status.update({ position: this.processing.position, unknownEventTypes: booted.unknownTypes })
    this.releases.push(watchJournal(this.db, this.status, { countPending: this.options.sync !== undefined }))
    if (!this.options.sync) {
      const pending = await this.db.table<CommandRecord>('commands').where('status').equals('pending').count()
      this.status.update({ pending })
    }
    watchDatabase(this.db, {
      isClosed: () => this.closed,
      now: this.env.now,
      report: (error) => this.report(error),
      onLost: () => this.syncing.recover(),
    })
    void this.checkPersistence()
    const reactors = this.followers.startReactors(this.db)
    if (reactors) this.releases.push(reactors)
    if (this.options.sync) await this.syncing.start(this.options.sync)
    // Ready once the joined spaces are known too: a command naming one is not refused as "not joined".
    this.status.update({ ready: true })
    const online = watchOnline(this.status)
    if (online) this.releases.push(online)
    // A catch-up that failed at boot may have left async projections behind: try again in the background.
    this.processing.kick()
  }

  /**
   * Asks the browser to keep this origin's data (`navigator.storage.persist()`, where this context has it:
   * the page; a worker can only read the answer) and reports it in `status.storagePersisted`.
   */
  async checkPersistence(): Promise<void> {
    const granted = await persistedStorage(this.options.persistStorage !== false)
    if (granted !== null) this.status.update({ storagePersisted: granted })
  }

  /** Reports a failure that must not stop the runtime (boot, background catch-ups): `status.errors`. */
  private report(error: RuntimeErrorReport): void {
    this.status.update({ errors: [...this.status.get().errors, error].slice(-20) })
  }

  /** Resolves once every projection (async ones included) has processed the log up to `position`. */
  async whenProcessed(position: number): Promise<void> {
    await this.ready
    return this.processing.whenProcessed(position)
  }

  /** Executes a command by path. Throws a CairnError on failure; nothing is written then. */
  execute(path: string, request: CommandRequest): Promise<CommandResult> {
    return this.commands.execute(path, request)
  }

  /** Runs a named query once. */
  query(path: string, arg?: unknown): Promise<unknown> {
    return this.reads.query(path, arg)
  }

  /** Runs the generic `find` over a projection's table. */
  find(projection: string, options: FindOptions = {}): Promise<unknown[]> {
    return this.reads.find(projection, options)
  }

  /** Subscribes to a named query; the listener gets the first result and every changed result. */
  subscribe(path: string, arg: unknown, listener: LiveListener): () => void {
    return this.reads.subscribe(path, arg, listener)
  }

  /** Subscribes to a `find`, live. */
  subscribeFind(projection: string, options: FindOptions, listener: LiveListener): () => void {
    return this.reads.subscribeFind(projection, options, listener)
  }

  /** Number of distinct live queries running (for tests and diagnostics). */
  get liveQueryCount(): number {
    return this.reads.liveCount
  }

  /** Listens for commands that sync rejected (in any tab). */
  onRejected(listener: (rejected: RejectedCommand) => void): () => void {
    return this.syncing.onRejected(listener)
  }

  /** Removes a rejected command from the list (it stays in the journal, as `dismissed`). */
  dismissRejected(commandId: string): Promise<void> {
    return this.syncing.dismissRejected(commandId)
  }

  /** Every local event and journaled command, as JSON (e.g. to keep work before leaving a reset server). */
  exportLog(): Promise<LogExport> {
    return this.reads.exportLog()
  }

  /**
   * After a server reset (`lastError.code === 'SERVER_RESET'`): pushes this device's confirmed log to the new
   * server, adopts it and resumes sync; pending work follows. See the failure-model guide for when to use it.
   */
  reuploadToServer(): Promise<ReuploadResult> {
    return this.syncing.reupload()
  }

  /**
   * Joins a space: kept across reloads and shared by every tab; the syncing tab pulls it and its live pokes.
   * A space name is 1–64 letters, digits, `_` or `-`.
   */
  joinSpace(space: string, options: JoinSpaceOptions = {}): Promise<void> {
    return this.syncing.join(space, options)
  }

  /**
   * Leaves a space: its events, commands and every read-model row derived from them are removed (read models
   * equal a rebuild from the remaining log); rejoining pulls it again. Rejects with a SyncError `UNSYNCED_WORK`
   * (and removes nothing) when some of its commands are not synced yet, unless `discardPending`.
   */
  leaveSpace(space: string, options: LeaveSpaceOptions = {}): Promise<LeaveSpaceResult> {
    return this.syncing.leave(space, options)
  }

  /**
   * Asks the server to forget `subject` (crypto-shredding): in each of `spaces` (default: every joined space) its
   * key is destroyed and every member, this device included, erases its copy of the subject's personal fields
   * (they read as `REDACTED` from then on; read models are rebuilt). Needs the server. Tries every space; when
   * any failed (e.g. 403 when `authorizeForget` refuses) rejects with one SyncError `FORGET_INCOMPLETE` listing
   * every failure and every space where it was done (see `ForgetIncompleteError`).
   */
  forgetSubject(subject: string, options: { spaces?: readonly string[] } = {}): Promise<ForgetResponse[]> {
    return this.syncing.forgetSubject(subject, options.spaces)
  }

  /** Every personal field of `subject` this device can still read, from every joined space, as JSON. */
  async exportPersonalData(subject: string): Promise<PersonalDataExport> {
    await this.ready
    return exportPersonalData(this.db, this.loaded, subject, this.env.now())
  }

  /** Pauses sync for every tab of this database (the "work offline" switch); persisted. */
  pauseSync(): Promise<void> {
    return this.syncing.setPaused(true)
  }

  /** Resumes sync. */
  resumeSync(): Promise<void> {
    return this.syncing.setPaused(false)
  }

  /** Re-reads `navigator.onLine` and wakes the sync loop (the page forwards its online / offline events). */
  pokeSync(): void {
    this.syncing.pokeSync()
  }

  /** Runs one sync round now in this runtime (push, then pull until caught up); throws on failure. */
  syncNow(): Promise<void> {
    return this.syncing.syncNow()
  }

  /** Subscribes to the event log and projection checkpoints (a developer tool), newest events first. */
  subscribeLog(options: { limit?: number }, listener: LiveListener<LogSnapshot>): () => void {
    return this.reads.subscribeLog(options, listener)
  }

  /** Closes the database and stops live queries. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.syncing.closeRejections()
    for (const release of this.releases.splice(0)) release()
    await this.syncing.close()
    this.reads.closeAll()
    await this.ready.catch(() => {})
    this.db?.close()
  }
}
