import type { Dexie } from 'dexie'
import type { AnyDomain } from '../domain/domain'
import { type CairnError, ClosedError, HandlerError, ValidationError } from '../domain/errors'
import { uuidv7 } from '../domain/ids'
import { runSchema } from '../domain/validation'
import { type IndexedDbDeps, openStore } from '../store/open'
import type { CommandRecord, EventRecord, MetaRecord } from '../store/records'
import type { PullOutcome } from '../sync/apply-pull'
import { SyncEngine, type SyncOptions } from '../sync/engine'
import { RejectionWatcher } from '../sync/rejections'
import { type CommandRequest, type CommandResult, Executor, type RuntimeEnv } from './executor'
import { type FindOptions, find } from './find'
import { type LiveListener, LiveQueries } from './live-queries'
import { LoadedDomain } from './loaded-domain'
import { type LogSnapshot, readLog } from './log'
import { ReactorRunner } from './reactors'
import { catchUp, type RebuildProgress } from './rebuild'
import { StateCache } from './state-cache'
import { initialStatus, type RejectedCommand, type RuntimeStatus, StatusHub } from './status'
import { toStorageError } from './storage-errors'

/** Options of a runtime (and of `serve` in a worker). */
export interface RuntimeOptions extends IndexedDbDeps {
  /** Database name; one database per app (and per user, if you like). Defaults to `cairn`. */
  name?: string
  /** Clock, injectable for tests. */
  now?: () => number
  /** Id generator for event and command ids (UUIDv7 by default), injectable for tests. */
  newId?: () => string
  /** Capacity of the in-memory aggregate state cache (streams). Defaults to 1000. */
  stateCacheSize?: number
  /** Record before-images of read-model rows for each pending event (needed by sync's rebase). */
  recordUndo?: boolean
  /** Called with rebuild progress (events done / total) while a projection is rebuilt. */
  onProgress?: (progress: RebuildProgress) => void
  /** Sync with a server: `{ url, space, token }` (see SyncOptions). Turns on the undo log. */
  sync?: SyncOptions
}

/**
 * The engine: owns the database, runs commands and queries, keeps projections current and live queries fresh.
 * Runs in a worker behind `serve`, or in-process behind `createLocalClient`.
 */
export class Runtime {
  readonly loaded: LoadedDomain
  readonly status: StatusHub<RuntimeStatus>
  readonly ready: Promise<void>
  private db!: Dexie
  private executor!: Executor
  private readonly cache: StateCache
  private readonly live = new LiveQueries()
  private readonly env: RuntimeEnv
  private closed = false
  private processed = 0
  private readonly waiters: { position: number; resolve: () => void }[] = []
  private asyncTarget = 0
  private asyncRunning = false
  private sync: SyncEngine | undefined
  private reactors: ReactorRunner | undefined
  private releaseReactorLock: (() => void) | undefined
  private rejections: RejectionWatcher | undefined

  constructor(
    domain: AnyDomain,
    private readonly options: RuntimeOptions = {},
  ) {
    this.loaded = new LoadedDomain(domain)
    this.cache = new StateCache(options.stateCacheSize ?? 1000)
    this.env = {
      clientId: '',
      now: options.now ?? Date.now,
      newId: options.newId ?? (() => uuidv7()),
      recordUndo: options.recordUndo ?? options.sync !== undefined,
    }
    const online = typeof navigator === 'undefined' ? true : navigator.onLine
    this.status = new StatusHub<RuntimeStatus>(initialStatus(online, options.sync !== undefined))
    this.ready = this.boot()
    this.ready.catch(() => {})
  }

  /** Id of this database's client (UUIDv7, made once and kept in `meta`). */
  get clientId(): string {
    return this.env.clientId
  }

  /** The Dexie database (for the sync layer and tests). */
  get database(): Dexie {
    return this.db
  }

  private async boot(): Promise<void> {
    this.db = await openStore(this.options.name ?? 'cairn', this.loaded.domain, this.options)
    const meta = this.db.table<MetaRecord>('meta')
    this.env.clientId = await this.db.transaction('rw', meta, async () => {
      const existing = await meta.get('clientId')
      if (existing) return existing.value as string
      const id = uuidv7()
      await meta.put({ key: 'clientId', value: id })
      return id
    })
    for (const p of this.loaded.projections) {
      await catchUp(
        this.db,
        this.loaded,
        p,
        (progress) => {
          this.status.update({ rebuilding: progress })
          this.options.onProgress?.(progress)
        },
        this.env.recordUndo,
      )
    }
    const last = await this.db.table<EventRecord>('events').orderBy('lpos').last()
    this.processed = last?.lpos ?? 0
    const pending = await this.db.table<CommandRecord>('commands').where('status').equals('pending').count()
    this.executor = new Executor(this.db, this.loaded, this.cache, this.env, (position, results) =>
      this.committed(position, results),
    )
    this.status.update({ ready: true, rebuilding: null, pending, position: this.processed })
    this.startReactors()
    if (this.options.sync) {
      this.sync = new SyncEngine(
        {
          db: this.db,
          loaded: this.loaded,
          dbName: this.options.name ?? 'cairn',
          clientId: this.env.clientId,
          newId: this.env.newId,
          now: this.env.now,
          status: this.status,
          afterPull: (outcome) => this.afterPull(outcome),
        },
        this.options.sync,
      )
      this.rejections = new RejectionWatcher(this.db, this.status)
      await this.sync.start()
    }
    if (typeof addEventListener === 'function') {
      addEventListener('online', () => this.status.update({ online: true }))
      addEventListener('offline', () => this.status.update({ online: false }))
    }
  }

  /** Reactors run in one tab per database (Web Locks), or in every tab where locks are missing. */
  private startReactors(): void {
    const reactors = Object.values(this.loaded.domain.reactors ?? {})
    if (reactors.length === 0) return
    const runner = new ReactorRunner(
      {
        db: this.db,
        loaded: this.loaded,
        clientId: () => this.env.clientId,
        execute: (path, request) => this.execute(path, request),
        status: this.status,
        isClosed: () => this.closed,
      },
      reactors,
    )
    const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined
    if (!locks) {
      this.reactors = runner
      runner.schedule()
      return
    }
    void locks.request(`cairn-reactors:${this.options.name ?? 'cairn'}`, () => {
      if (this.closed) return undefined
      this.reactors = runner
      runner.schedule()
      return new Promise<void>((release) => {
        this.releaseReactorLock = release
      })
    })
  }

  private committed(position: number, results: CommandResult[]): void {
    const appended = results.filter((r) => r.events.length > 0 && !r.duplicate).length
    if (appended > 0 && !this.sync) this.status.update({ pending: this.status.get().pending + appended })
    if (position === 0) return
    this.status.update({ position })
    this.sync?.poke()
    this.advance(position)
    this.reactors?.schedule()
  }

  /** After a pull: cached states may be stale (rebase), projections moved on, rejections may be new. */
  private afterPull(outcome: PullOutcome): void {
    this.cache.clear()
    const known = this.status.get().unknownEventTypes
    const unknown = outcome.unknownTypes.filter((t, i, all) => !known.includes(t) && all.indexOf(t) === i)
    if (unknown.length > 0) this.status.update({ unknownEventTypes: [...known, ...unknown] })
    if (outcome.lastPosition > 0) {
      this.status.update({ position: Math.max(this.status.get().position, outcome.lastPosition) })
      this.advance(outcome.lastPosition)
    }
    this.reactors?.schedule()
  }

  private advance(position: number): void {
    if (this.loaded.projections.some((p) => p.mode === 'async')) {
      this.asyncTarget = Math.max(this.asyncTarget, position)
      if (!this.asyncRunning) void this.runAsyncProjections()
    } else {
      this.markProcessed(position)
    }
  }

  /** Catches async projections up; commits that land meanwhile are coalesced into the next round. */
  private async runAsyncProjections(): Promise<void> {
    this.asyncRunning = true
    try {
      while (this.asyncTarget > this.processed && !this.closed) {
        const target = this.asyncTarget
        for (const p of this.loaded.projections) {
          if (p.mode === 'async' && !this.closed) {
            await catchUp(this.db, this.loaded, p, undefined, this.env.recordUndo).catch(() => {})
          }
        }
        this.markProcessed(target)
      }
    } finally {
      this.asyncRunning = false
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

  /** Resolves once every projection (async ones included) has processed the log up to `position`. */
  async whenProcessed(position: number): Promise<void> {
    await this.ready
    if (position <= this.processed) return
    return new Promise((resolve) => this.waiters.push({ position, resolve }))
  }

  /** Executes a command by path. Throws a CairnError on failure; nothing is written then. */
  async execute(path: string, request: CommandRequest): Promise<CommandResult> {
    if (this.closed) throw new ClosedError()
    const { aggregate, name, handler } = this.loaded.command(path)
    if (typeof request !== 'object' || request === null) {
      throw new ValidationError(`execute('${path}'): expected { id, input }`, [{ message: 'expected an object' }])
    }
    if (typeof request.id !== 'string' || request.id === '') {
      throw new ValidationError(`execute('${path}'): 'id' must be a non-empty string`, [
        { message: 'expected a non-empty string', path: ['id'] },
      ])
    }
    const ev = request.expectedVersion
    if (
      ev !== undefined &&
      ev !== 'any' &&
      ev !== 'no_stream' &&
      ev !== 'exists' &&
      !(Number.isInteger(ev) && ev >= 0)
    ) {
      throw new ValidationError(`execute('${path}'): invalid expectedVersion`, [
        { message: "expected a version >= 0, 'any', 'no_stream' or 'exists'", path: ['expectedVersion'] },
      ])
    }
    let input = request.input
    const schema = aggregate.inputs[name]
    if (schema) {
      const result = await runSchema(schema, input)
      if (!result.ok) throw new ValidationError(`Input of '${path}' failed its schema`, result.issues)
      input = result.value
    }
    await this.ready
    return this.executor.submit({ path, aggregate, handler, request, input })
  }

  /** Runs a named query once. */
  async query(path: string, arg?: unknown): Promise<unknown> {
    if (this.closed) throw new ClosedError()
    const run = this.queryRunner(path, arg)
    await this.ready
    return run()
  }

  /** Runs the generic `find` over a projection's table. */
  async find(projection: string, options: FindOptions = {}): Promise<unknown[]> {
    if (this.closed) throw new ClosedError()
    const p = this.loaded.projection(projection)
    await this.ready
    return find(this.db.table(p.tableName), options)
  }

  private queryRunner(path: string, arg: unknown): () => Promise<unknown> {
    const { projection, fn } = this.loaded.query(path)
    return async () => {
      try {
        return await fn(this.db.table(projection.tableName) as never, arg)
      } catch (error) {
        throw wrapQueryError(path, error)
      }
    }
  }

  /** Subscribes to a named query; the listener gets the first result and every changed result. */
  subscribe(path: string, arg: unknown, listener: LiveListener): () => void {
    if (this.closed) throw new ClosedError()
    const run = this.queryRunner(path, arg)
    let unsubscribe: (() => void) | undefined
    let cancelled = false
    this.ready.then(
      () => {
        if (!cancelled) unsubscribe = this.live.subscribe(`${path}\u0000${JSON.stringify(arg ?? null)}`, run, listener)
      },
      (error) => listener({ ok: false, error: toStorageError(error).toJSON() }),
    )
    return () => {
      cancelled = true
      unsubscribe?.()
    }
  }

  /** Subscribes to a `find`, live. */
  subscribeFind(projection: string, options: FindOptions, listener: LiveListener): () => void {
    if (this.closed) throw new ClosedError()
    const p = this.loaded.projection(projection)
    let unsubscribe: (() => void) | undefined
    let cancelled = false
    this.ready.then(() => {
      if (cancelled) return
      const run = () => find(this.db.table(p.tableName), options)
      unsubscribe = this.live.subscribe(`find:${projection}\u0000${JSON.stringify(options)}`, run, listener)
    })
    return () => {
      cancelled = true
      unsubscribe?.()
    }
  }

  /** Number of distinct live queries running (for tests and diagnostics). */
  get liveQueryCount(): number {
    return this.live.size
  }

  /** Listens for commands that sync rejected (in any tab). */
  onRejected(listener: (rejected: RejectedCommand) => void): () => void {
    const pending = { stop: undefined as (() => void) | undefined, cancelled: false }
    void this.ready.then(() => {
      if (!pending.cancelled) pending.stop = this.rejections?.listen(listener)
    })
    return () => {
      pending.cancelled = true
      pending.stop?.()
    }
  }

  /** Removes a rejected command from the list (it stays in the journal, as `dismissed`). */
  async dismissRejected(commandId: string): Promise<void> {
    await this.ready
    await this.db.table<CommandRecord>('commands').update(commandId, { status: 'dismissed' })
  }

  /** Pauses sync for every tab of this database (the "work offline" switch); persisted. */
  async pauseSync(): Promise<void> {
    await this.ready
    await this.sync?.setPaused(true)
  }

  /** Resumes sync. */
  async resumeSync(): Promise<void> {
    await this.ready
    await this.sync?.setPaused(false)
  }

  /** Re-reads `navigator.onLine` and wakes the sync loop (the page forwards its online / offline events). */
  pokeSync(): void {
    if (typeof navigator !== 'undefined') this.status.update({ online: navigator.onLine })
    this.sync?.poke()
  }

  /** Runs one sync round now in this runtime (push, then pull until caught up); throws on failure. */
  async syncNow(): Promise<void> {
    await this.ready
    if (!this.sync) throw new ValidationError('syncNow: this runtime has no sync configured', [])
    await this.sync.syncOnce()
  }

  /** Subscribes to the event log and projection checkpoints (a developer tool), newest events first. */
  subscribeLog(options: { limit?: number }, listener: LiveListener<LogSnapshot>): () => void {
    let unsubscribe: (() => void) | undefined
    let cancelled = false
    void this.ready.then(() => {
      if (cancelled) return
      const run = () => readLog(this.db, this.loaded, options.limit ?? 100)
      unsubscribe = this.live.subscribe(`log\u0000${options.limit ?? 100}`, run, listener as LiveListener)
    })
    return () => {
      cancelled = true
      unsubscribe?.()
    }
  }

  /** Closes the database and stops live queries. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.rejections?.close()
    this.releaseReactorLock?.()
    await this.sync?.close()
    this.live.closeAll()
    await this.ready.catch(() => {})
    this.db?.close()
  }
}

function wrapQueryError(path: string, error: unknown): CairnError {
  if (error && typeof error === 'object' && 'code' in error && 'name' in error) return error as CairnError
  const names = String((error as { name?: unknown })?.name ?? '')
  if (/Error$/.test(names) && /Dexie|IDB|Database|Quota|Abort/.test(`${names} ${String(error)}`))
    return toStorageError(error)
  return new HandlerError(`query '${path}'`, error)
}
