import type { Dexie } from 'dexie'
import { liveQuery } from 'dexie'
import { CairnError } from '../domain/errors'
import type { PullResponse, StoredWireEvent, WireEvent } from '../protocol'
import type { LoadedDomain } from '../runtime/loaded-domain'
import type { RuntimeStatus, SharedSyncStatus, StatusHub } from '../runtime/status'
import type { CommandRecord, EventRecord, MetaRecord } from '../store/records'
import { applyPull, type PullOutcome } from './apply-pull'
import { backoffDelay, Signal } from './signal'
import { httpTransport, SyncHttpError, type SyncTransport } from './transport'

/** Sync configuration of `serve(domain, { sync })`. */
export interface SyncOptions {
  /** Server base URL, e.g. `location.origin` when `cairn-server --static` serves the app. */
  url?: string
  /** The space (shared log) to sync with. */
  space?: string
  /** A fixed bearer token. */
  token?: string
  /** Or a function giving a token for each request. */
  getToken?: () => string | undefined | Promise<string | undefined>
  /** A custom transport (tests, other servers); replaces url/space/token. */
  transport?: SyncTransport
  /** Events per push (whole commands only). Default 500. */
  pushBatch?: number
  /** Events per pull page. Default 500. */
  pullLimit?: number
  /** Elect one syncing tab with the Web Locks API. Default true where `navigator.locks` exists. */
  leaderElection?: boolean
  /** Start the background loop. Default true; tests drive `syncOnce()` themselves. */
  autoStart?: boolean
  /** Idle re-check interval when nothing pokes the loop (ms). Default 30 s. */
  heartbeatMs?: number
}

/** What the engine needs from the runtime. */
export interface SyncHost {
  db: Dexie
  loaded: LoadedDomain
  dbName: string
  clientId: string
  newId: () => string
  now: () => number
  status: StatusHub<RuntimeStatus>
  /** Called after pulled events were applied (cache, live queries, async projections, rejection listeners). */
  afterPull(outcome: PullOutcome): void
}

/** The server was reset: its `backendId` changed. Sync stops; local data is kept. */
export class ServerResetError extends Error {
  constructor(
    readonly previous: string,
    readonly current: string,
  ) {
    super(
      `The sync server was reset (backend ${previous} → ${current}). Sync stopped; local data is kept. ` +
        'To start over from the new server, clear this site’s data.',
    )
    this.name = 'ServerResetError'
  }
}

const SHARED_KEYS = ['connected', 'syncing', 'lastSyncedAt', 'head', 'lastError'] as const

/**
 * The syncing tab's worker: pushes pending events in local order, pulls from the server cursor, applies pulls
 * (rebasing pending commands), listens on the live channel, backs off on failures. One tab syncs (Web Locks);
 * the others follow through the shared database and a BroadcastChannel for status.
 */
export class SyncEngine {
  private readonly transport: SyncTransport
  private readonly wake = new Signal()
  private readonly accepted = new Set<string>()
  private cursor = 0
  private backendId: string | undefined
  private pushFrom = 0
  private batchLimit: number
  private closed = false
  private leader = false
  private running = false
  private paused = false
  private stopped: Error | undefined
  private closeLive: (() => void) | undefined
  private releaseLock: (() => void) | undefined
  private channel: BroadcastChannel | undefined
  private readonly subscriptions: { unsubscribe(): void }[] = []
  private onlineListeners: (() => void) | undefined

  constructor(
    private readonly host: SyncHost,
    private readonly options: SyncOptions,
  ) {
    this.batchLimit = options.pushBatch ?? 500
    if (options.transport) this.transport = options.transport
    else {
      if (!options.url || !options.space) throw new TypeError('sync needs { url, space } or a transport')
      this.transport = httpTransport({
        url: options.url,
        space: options.space,
        token: options.token,
        getToken: options.getToken,
        clientId: host.clientId,
      })
    }
  }

  private get status() {
    return this.host.status
  }

  /** Loads the cursor, starts watching the journal, and (unless `autoStart: false`) elects a leader and syncs. */
  async start(): Promise<void> {
    const meta = this.host.db.table<MetaRecord>('meta')
    const [cursor, backend, paused] = await Promise.all([
      meta.get('cursor'),
      meta.get('backendId'),
      meta.get('syncPaused'),
    ])
    this.cursor = (cursor?.value as number | undefined) ?? 0
    this.backendId = backend?.value as string | undefined
    this.paused = paused?.value === true
    this.status.update({ paused: this.paused })
    this.watchShared()
    if (typeof BroadcastChannel !== 'undefined') {
      this.channel = new BroadcastChannel(`cairn-sync-status:${this.host.dbName}`)
      this.channel.onmessage = (e: MessageEvent<SharedSyncStatus>) => {
        if (!this.leader) this.status.update(e.data)
      }
    }
    if (typeof addEventListener === 'function') {
      const onOnline = () => this.wake.notify()
      addEventListener('online', onOnline)
      this.onlineListeners = () => removeEventListener('online', onOnline)
    }
    if (this.options.autoStart === false) {
      this.leader = true
      this.status.update({ leader: true })
      return
    }
    const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined
    if (locks && this.options.leaderElection !== false) {
      void locks.request(`cairn-sync:${this.host.dbName}`, () => {
        if (this.closed) return undefined
        return new Promise<void>((release) => {
          this.releaseLock = release
          this.becomeLeader()
        })
      })
    } else {
      this.becomeLeader()
    }
  }

  /** Pending count, pause switch: watched in every tab (the journal and meta are shared by all tabs). */
  private watchShared(): void {
    const db = this.host.db
    this.subscriptions.push(
      liveQuery(() => db.table('meta').get('syncPaused')).subscribe({
        next: (row: MetaRecord | undefined) => {
          const paused = row?.value === true
          if (paused === this.paused) return
          this.paused = paused
          this.status.update({ paused })
          if (paused) this.stopLive()
          this.wake.notify()
        },
      }),
      liveQuery(() => db.table('commands').where('status').equals('pending').count()).subscribe({
        next: (pending: number) => {
          this.status.update({ pending })
          if (pending > 0) this.wake.notify()
        },
      }),
    )
  }

  private becomeLeader(): void {
    if (this.closed) return
    this.leader = true
    this.status.update({ leader: true })
    void this.loop()
  }

  private share(patch: Partial<SharedSyncStatus>): void {
    this.status.update(patch)
    if (!this.leader || !this.channel) return
    const s = this.status.get()
    const shared = Object.fromEntries(SHARED_KEYS.map((k) => [k, s[k]])) as unknown as SharedSyncStatus
    this.channel.postMessage(shared)
  }

  private online(): boolean {
    return typeof navigator === 'undefined' || navigator.onLine !== false
  }

  private async loop(): Promise<void> {
    if (this.running) return
    this.running = true
    let attempt = 0
    while (!this.closed) {
      this.status.update({ online: this.online() })
      if (this.stopped || this.paused || !this.online()) {
        this.stopLive()
        this.share({ connected: false, syncing: false })
        // Workers do not always get an `online` event (the page forwards its own): re-check each second.
        await this.wake.wait(this.online() ? (this.options.heartbeatMs ?? 30_000) : 1000)
        continue
      }
      try {
        await this.syncOnce()
        attempt = 0
        this.startLive()
      } catch (error) {
        if (this.closed) break
        if (!this.online()) continue
        attempt += 1
        await this.wake.wait(this.retryDelay(error, attempt))
        continue
      }
      await this.wake.wait(this.options.heartbeatMs ?? 30_000)
    }
    this.running = false
  }

  private retryDelay(error: unknown, attempt: number): number {
    if (error instanceof SyncHttpError) {
      if (error.retryAfterMs !== undefined) return Math.max(100, error.retryAfterMs)
      // Bad request, forbidden, too large, refused data: retrying soon cannot help; keep it visible and slow.
      if ([400, 401, 403, 413, 422].includes(error.status)) return backoffDelay(6)
    }
    return backoffDelay(attempt)
  }

  private startLive(): void {
    if (this.closeLive || !this.transport.live || this.closed) return
    this.closeLive = this.transport.live(this.cursor, {
      onEvents: (head) => {
        if (!(head <= this.cursor)) this.wake.notify()
      },
      onConnected: (connected) => {
        this.share({ connected })
        if (connected) this.wake.notify()
      },
    })
  }

  private stopLive(): void {
    this.closeLive?.()
    this.closeLive = undefined
  }

  /** Triggers a sync round now (no-op for a tab that does not sync). */
  poke(): void {
    this.wake.notify()
  }

  /**
   * One full round: push everything pending (in batches, whole commands only), then pull until caught up;
   * repeats after a conflict (the pull rebases, then the rebased events are pushed). Throws on failure.
   */
  async syncOnce(): Promise<void> {
    if (this.stopped) throw this.stopped
    this.share({ syncing: true })
    try {
      let pushed: 'done' | 'conflict' = 'conflict'
      for (let round = 0; round < 10 && pushed === 'conflict'; round++) {
        pushed = await this.pushAll()
        await this.pullAll()
      }
      if (pushed === 'conflict') {
        throw new SyncHttpError(409, { code: 'CONFLICT', message: 'pushes kept conflicting after 10 rebases' })
      }
      this.share({ connected: true, syncing: false, lastSyncedAt: this.host.now(), lastError: null })
    } catch (error) {
      const lastError =
        error instanceof SyncHttpError
          ? { code: error.body.code, message: error.body.message }
          : error instanceof ServerResetError
            ? { code: 'SERVER_RESET', message: error.message }
            : error instanceof CairnError
              ? { code: error.code, message: error.message }
              : { code: 'NETWORK', message: error instanceof Error ? error.message : String(error) }
      if (error instanceof ServerResetError) this.stopped = error
      // Offline is a normal state, not an error worth shouting about.
      this.share({ syncing: false, connected: false, lastError: this.online() ? lastError : null })
      throw error
    }
  }

  /** The next push batch: pending events in local order, whole commands, skipping those already accepted. */
  private async nextBatch(): Promise<EventRecord[]> {
    const limit = this.batchLimit
    const events = this.host.db.table<EventRecord>('events')
    const batch: EventRecord[] = []
    let from = this.pushFrom
    for (;;) {
      const rows = await events
        .where('lpos')
        .above(from)
        .limit(Math.max(limit * 2, 100))
        .toArray()
      if (rows.length === 0) break
      for (const row of rows) {
        from = row.lpos as number
        if (row.gpos !== undefined || this.accepted.has(row.id)) continue
        const last = batch[batch.length - 1]
        if (batch.length >= limit && last && last.meta.commandId !== row.meta.commandId) return batch
        batch.push(row)
      }
      if (batch.length >= limit) return batch
    }
    return batch
  }

  private async pushAll(): Promise<'done' | 'conflict'> {
    this.pushFrom = await this.firstPendingPosition()
    for (;;) {
      const batch = await this.nextBatch()
      if (batch.length === 0) return 'done'
      const wire: WireEvent[] = batch.map((e) => ({
        id: e.id,
        stream: e.stream,
        version: e.version,
        type: e.type,
        data: e.data as WireEvent['data'],
        meta: e.meta as unknown as NonNullable<WireEvent['meta']>,
      }))
      try {
        const response = await this.transport.push({ clientId: this.host.clientId, events: wire })
        await this.checkBackend(response.backendId)
        for (const a of response.accepted) this.accepted.add(a.id)
        this.share({ head: Math.max(this.status.get().head, response.head) })
        this.pushFrom = batch[batch.length - 1]?.lpos ?? this.pushFrom
      } catch (error) {
        if (error instanceof SyncHttpError && error.status === 409 && error.body.code === 'CONFLICT') return 'conflict'
        if (error instanceof SyncHttpError && error.status === 413 && batch.length > 1) {
          // Too large for the server: send smaller batches (still whole commands).
          this.batchLimit = Math.max(1, Math.floor(batch.length / 2))
          continue
        }
        throw error
      }
    }
  }

  private async firstPendingPosition(): Promise<number> {
    const pending = await this.host.db.table<CommandRecord>('commands').where('status').equals('pending').toArray()
    const ids = pending.flatMap((c) => c.eventIds)
    if (ids.length === 0) return Number.MAX_SAFE_INTEGER
    const rows = await this.host.db.table<EventRecord>('events').where('id').anyOf(ids).toArray()
    let first = Number.MAX_SAFE_INTEGER
    for (const r of rows) if (r.gpos === undefined) first = Math.min(first, r.lpos as number)
    return first === Number.MAX_SAFE_INTEGER ? first : first - 1
  }

  private async pullAll(): Promise<void> {
    const limit = this.options.pullLimit ?? 500
    for (;;) {
      const collected: StoredWireEvent[] = []
      let cursor = this.cursor
      let page: PullResponse
      do {
        page = await this.transport.pull(cursor, limit)
        await this.checkBackend(page.backendId)
        collected.push(...page.events)
        const last = page.events[page.events.length - 1]
        if (last) cursor = last.seq
        // With pending events, gather the whole gap first: one rollback instead of one per page.
      } while (page.events.length >= limit && this.status.get().pending > 0 && collected.length < 20_000)
      this.share({ head: page.head })
      if (collected.length === 0) {
        if (cursor !== this.cursor) this.cursor = cursor
        return
      }
      const outcome = await applyPull(this.host, collected, cursor, this.accepted)
      this.cursor = cursor
      for (const e of collected) this.accepted.delete(e.id)
      this.host.afterPull(outcome)
      if (page.events.length < limit) return
    }
  }

  private async checkBackend(backendId: string): Promise<void> {
    if (this.backendId === backendId) return
    if (this.backendId === undefined) {
      this.backendId = backendId
      await this.host.db.table<MetaRecord>('meta').put({ key: 'backendId', value: backendId })
      return
    }
    throw new ServerResetError(this.backendId, backendId)
  }

  /** Pauses or resumes sync for every tab of this database (persisted). */
  async setPaused(paused: boolean): Promise<void> {
    await this.host.db.table<MetaRecord>('meta').put({ key: 'syncPaused', value: paused })
  }

  async close(): Promise<void> {
    this.closed = true
    this.stopLive()
    this.wake.notify()
    for (const s of this.subscriptions) s.unsubscribe()
    this.channel?.close()
    this.onlineListeners?.()
    this.releaseLock?.()
  }
}
