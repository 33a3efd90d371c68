/**
 * The runtime's reads: named queries and `find`s, once or live, the log inspector's live snapshot and the log
 * export. Every read waits for boot (`ready`); a live subscription cancelled before then never starts. Live
 * queries are shared: one per distinct query, however many subscribers (LiveQueries).
 */
import type { Dexie } from 'dexie'
import { type CairnError, ClosedError, HandlerError } from '../domain/errors'
import type { CommandRecord, EventRecord } from '../store/records'
import { type FindOptions, find } from './find'
import { type LiveListener, LiveQueries } from './live-queries'
import type { LoadedDomain } from './loaded-domain'
import { type LogSnapshot, readLog } from './log'
import { toStorageError } from './storage-errors'
import { subscribeWhenReady } from './when-ready'

/** Everything a database holds, as JSON: the way to keep local work when a server was reset. */
export interface LogExport {
  clientId: string
  exportedAt: number
  /** Every event of the local log, in local order (`gpos` set once a server confirmed it). */
  events: EventRecord[]
  /** The command journal: pending, confirmed, rejected and failed commands. */
  commands: CommandRecord[]
}

/** What the reads need from the runtime that owns them. */
export interface QueriesHost {
  loaded: LoadedDomain
  /** The runtime's boot: every read waits for it. */
  ready: Promise<void>
  /** The open database (known once booted). */
  db: () => Dexie
  /** This database's client id (known once booted). */
  clientId: () => string
  now: () => number
  isClosed: () => boolean
}

/** Runs the runtime's queries, finds and live subscriptions (see the file comment). */
export class Queries {
  private readonly live = new LiveQueries()

  constructor(private readonly host: QueriesHost) {}

  /** Runs a named query once. */
  async query(path: string, arg: unknown): Promise<unknown> {
    if (this.host.isClosed()) throw new ClosedError()
    const run = this.queryRunner(path, arg)
    await this.host.ready
    return run()
  }

  /** Runs the generic `find` over a projection's table. */
  async find(projection: string, options: FindOptions): Promise<unknown[]> {
    if (this.host.isClosed()) throw new ClosedError()
    const p = this.host.loaded.projection(projection)
    await this.host.ready
    return find(this.host.db().table(p.tableName), options)
  }

  private queryRunner(path: string, arg: unknown): () => Promise<unknown> {
    const { projection, fn } = this.host.loaded.query(path)
    return async () => {
      try {
        return await fn(this.host.db().table(projection.tableName) as never, arg)
      } catch (error) {
        throw wrapQueryError(path, error)
      }
    }
  }

  /** Subscribes to a named query; the listener gets the first result and every changed result. */
  subscribe(path: string, arg: unknown, listener: LiveListener): () => void {
    if (this.host.isClosed()) throw new ClosedError()
    const run = this.queryRunner(path, arg)
    return subscribeWhenReady(
      this.host.ready,
      () => this.live.subscribe(`${path}\u0000${JSON.stringify(arg ?? null)}`, run, listener),
      (error) => listener({ ok: false, error: toStorageError(error).toJSON() }),
    )
  }

  /** Subscribes to a `find`, live. */
  subscribeFind(projection: string, options: FindOptions, listener: LiveListener): () => void {
    if (this.host.isClosed()) throw new ClosedError()
    const p = this.host.loaded.projection(projection)
    const run = () => find(this.host.db().table(p.tableName), options)
    return subscribeWhenReady(
      this.host.ready,
      () => this.live.subscribe(`find:${projection}\u0000${JSON.stringify(options)}`, run, listener),
      (error) => listener({ ok: false, error: toStorageError(error).toJSON() }),
    )
  }

  /** Subscribes to the event log and projection checkpoints (a developer tool), newest events first. */
  subscribeLog(options: { limit?: number }, listener: LiveListener<LogSnapshot>): () => void {
    const limit = options.limit ?? 100
    const run = () => readLog(this.host.db(), this.host.loaded, limit)
    return subscribeWhenReady(this.host.ready, () =>
      this.live.subscribe(`log\u0000${limit}`, run, listener as LiveListener),
    )
  }

  /** Every local event and journaled command, as JSON. */
  async exportLog(): Promise<LogExport> {
    await this.host.ready
    const db = this.host.db()
    const [events, commands] = await db.transaction('r', ['events', 'commands'], (tx) =>
      Promise.all([
        tx.table<EventRecord>('events').orderBy('lpos').toArray(),
        tx.table<CommandRecord>('commands').toArray(),
      ]),
    )
    return { clientId: this.host.clientId(), exportedAt: this.host.now(), events, commands }
  }

  /** Number of distinct live queries running. */
  get liveCount(): number {
    return this.live.size
  }

  /** Stops every live query. */
  closeAll(): void {
    this.live.closeAll()
  }
}

function wrapQueryError(path: string, error: unknown): CairnError {
  if (error && typeof error === 'object' && 'code' in error && 'name' in error) return error as CairnError
  const names = String((error as { name?: unknown })?.name ?? '')
  if (/Error$/.test(names) && /Dexie|IDB|Database|Quota|Abort/.test(`${names} ${String(error)}`))
    return toStorageError(error)
  return new HandlerError(`query '${path}'`, error)
}
