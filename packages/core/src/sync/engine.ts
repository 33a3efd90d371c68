import type { Dexie } from 'dexie'
import { liveQuery } from 'dexie'
import { CairnError, SyncError } from '../domain/errors'
import type { PullResponse, StoredWireEvent, WireEvent } from '../protocol'
import type { LoadedDomain } from '../runtime/loaded-domain'
import type { RuntimeStatus, SharedSyncStatus, StatusHub } from '../runtime/status'
import type { CommandRecord, EventRecord, MetaRecord } from '../store/records'
import { applyPull, type PullOutcome, type Refusal } from './apply-pull'
import { Outbox } from './outbox'
import { ServerResetError, syncErrorOf } from './sync-errors'

export { ServerResetError, syncErrorOf } from './sync-errors'

import { refusalsOf } from './refusals'
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
  /** A custom transport (tests, other servers); replaces url/token (name its `space` too, default `default`). */
  transport?: SyncTransport
  /** Events per push (whole commands only). Default 500. */
  pushBatch?: number
  /** Events per pull page. Default 500. */
  pullLimit?: number
  /** Elect one syncing tab with the Web Locks API. Default true where `navigator.locks` exists. */
  leaderElection?: boolean
  /** Start the background loop. Default true; tests drive `syncOnce()` themselves. */
  autoStart?: boolean
  /** Requests one `syncNow()` round may make before it gives up (bounds every retry loop). Default 1000. */
  maxRequestsPerRound?: number
  /** Idle re-check interval when nothing pokes the loop (ms). Default 30 s. */
  heartbeatMs?: number
}

/** What the engine is given by the runtime that owns it. */
export interface SyncHost {
  db: Dexie
  loaded: LoadedDomain
  dbName: string
  clientId: string
  newId: () => string
  now: () => number
  status: StatusHub<RuntimeStatus>
  /**
   * The owner's listener for applied pulls and refusals (cache, live queries, async projections). The engine
   * only notifies; it never reaches into the runtime.
   */
  onApplied(outcome: PullOutcome): void
}

/** What `reuploadToServer` did. */
export interface ReuploadResult {
  /** Events pushed to the new server (already confirmed ones; pending ones follow with normal sync). */
  pushed: number
  /** The new server's identity, now adopted. */
  backendId: string
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
  private readonly outbox: Outbox
  /** Requests made in this round, per direction: a push loop can never starve the pull. */
  private readonly requests = { push: 0, pull: 0 }
  private readonly space: string
  private closed = false
  private leader = false
  private running = false
  private paused = false
  private stopped: Error | undefined
  private closeLive: (() => void) | undefined
  private channel: BroadcastChannel | undefined
  private readonly subscriptions: { unsubscribe(): void }[] = []
  private unsubscribeStatus: (() => void) | undefined
  private onlineListeners: (() => void) | undefined

  constructor(
    private readonly host: SyncHost,
    private readonly options: SyncOptions,
  ) {
    this.outbox = new Outbox(host.db, this.accepted, options.pushBatch ?? 500)
    this.space = options.space ?? 'default'
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

  /**
   * Loads the cursor, checks the database belongs to this space, starts watching the pause switch. The owner
   * then calls `lead()` in the tab elected to sync (or `autoStart: false` leaves the rounds to `syncOnce()`).
   */
  async start(): Promise<void> {
    const meta = this.host.db.table<MetaRecord>('meta')
    const [backend, paused, space] = await Promise.all([
      meta.get('backendId'),
      meta.get('syncPaused'),
      meta.get('space'),
    ])
    await this.loadCursor()
    this.backendId = backend?.value as string | undefined
    this.paused = paused?.value === true
    this.status.update({ paused: this.paused })
    const synced = space?.value as string | undefined
    if (synced === undefined) {
      // A database from before spaces were recorded cannot say which space its cursor belongs to: pull this
      // space from the start (events already held are skipped by id).
      const legacy = this.cursor > 0 || this.backendId !== undefined
      await meta.bulkPut([{ key: 'space', value: this.space }, ...(legacy ? [{ key: 'cursor', value: 0 }] : [])])
      if (legacy) this.cursor = 0
    } else if (synced !== this.space) {
      // The cursor and the log belong to another space: pushing or pulling here would mix two logs.
      this.stopped = new SyncError(
        'SPACE_MISMATCH',
        `This database syncs space '${synced}', not '${this.space}': sync stopped, local data kept. ` +
          'Use one database name per space.',
        { synced, configured: this.space },
      )
      this.share({ lastError: syncErrorOf(this.stopped) })
    }
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
    }
  }

  /** True when the owner should elect this tab (`autoStart` is not false). */
  get wantsLeadership(): boolean {
    return this.options.autoStart !== false && !this.closed
  }

  /** The local database was lost and re-created empty: pull everything again. */
  async forgetCursor(): Promise<void> {
    this.cursor = 0
    this.accepted.clear()
    await this.host.db
      .table<MetaRecord>('meta')
      .bulkPut([
        { key: 'space', value: this.space },
        ...(this.backendId === undefined ? [] : [{ key: 'backendId', value: this.backendId }]),
      ])
    this.wake.notify()
  }

  /** The cursor as the database holds it: a tab that becomes leader continues from where the last one got. */
  private async loadCursor(): Promise<void> {
    const row = await this.host.db.table<MetaRecord>('meta').get('cursor')
    this.cursor = (row?.value as number | undefined) ?? 0
  }

  /**
   * The pause switch is shared by every tab (it lives in `meta`); commands run in any tab wake the syncing one
   * through the runtime's pending count.
   */
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
    )
    // The runtime keeps the pending count (over the shared journal): more pending work wakes the loop.
    let pending = this.status.get().pending
    this.unsubscribeStatus = this.status.subscribe((status) => {
      if (status.pending > pending) this.wake.notify()
      pending = status.pending
    })
  }

  /** This tab was elected to sync: runs the loop until closed. */
  lead(): void {
    if (this.closed) return
    void this.loadCursor().then(() => this.becomeLeader())
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
    if (error instanceof CairnError && error.name === 'HandlerError') return backoffDelay(6)
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
   * repeats after a conflict (the pull rebases, then the rebased events are pushed). Pushing and pulling are
   * independent: a push that fails still lets the pull run (others' events keep arriving), and a command the
   * server refuses for good becomes a durable rejection while the rest is pushed. Every loop is bounded.
   * Throws on failure (after pulling).
   */
  async syncOnce(): Promise<void> {
    if (this.paused) throw new SyncError('SYNC_PAUSED', 'Sync is paused (resumeSync() to resume): nothing was sent')
    if (this.stopped) throw this.stopped
    this.share({ syncing: true })
    this.requests.push = 0
    this.requests.pull = 0
    try {
      let pushed: 'done' | 'conflict' = 'conflict'
      let pushError: unknown
      for (let round = 0; round < 10 && pushed === 'conflict'; round++) {
        try {
          pushed = await this.pushAll()
        } catch (error) {
          if (error instanceof ServerResetError) throw error
          pushError = error
          pushed = 'done'
        }
        await this.pullAll()
      }
      if (pushError !== undefined) throw pushError
      if (pushed === 'conflict') {
        throw new SyncHttpError(409, { code: 'CONFLICT', message: 'pushes kept conflicting after 10 rebases' })
      }
      this.share({ connected: true, syncing: false, lastSyncedAt: this.host.now(), lastError: null })
    } catch (error) {
      if (error instanceof ServerResetError) this.stopped = error
      // Offline is a normal state, not an error worth shouting about.
      this.share({ syncing: false, connected: false, lastError: this.online() ? syncErrorOf(error) : null })
      throw error
    }
  }

  /**
   * Counts a request against the round's budget (per direction): no loop, however it is driven, runs forever.
   * Also where a pause takes effect inside a round: nothing leaves the device once `pauseSync()` resolved.
   */
  private spend(direction: 'push' | 'pull'): void {
    if (this.paused) throw new SyncError('SYNC_PAUSED', 'Sync was paused: the round stopped')
    this.requests[direction] += 1
    const max = this.options.maxRequestsPerRound ?? 1000
    if (this.requests[direction] > max)
      throw new SyncError('TOO_MANY_REQUESTS', `a sync round made more than ${max} ${direction} requests`)
  }

  private async pushAll(): Promise<'done' | 'conflict'> {
    // A 413 shrinks the batches for this round only: the next round tries the configured size again.
    await this.outbox.restart()
    for (;;) {
      const batch = await this.outbox.next()
      if (batch.length === 0) return 'done'
      try {
        this.spend('push')
        const response = await this.transport.push({ clientId: this.host.clientId, events: batch.map(toWire) })
        await this.checkBackend(response.backendId)
        for (const a of response.accepted) this.accepted.add(a.id)
        this.share({ head: Math.max(this.status.get().head, response.head) })
        this.outbox.sent(batch)
      } catch (error) {
        if (!(error instanceof SyncHttpError)) throw error
        if (error.status === 409 && error.body.code === 'CONFLICT') return 'conflict'
        // Too large for the server: send fewer commands per batch (still whole commands), down to one.
        if (error.status === 413 && !error.body.refused?.length && this.outbox.shrink(batch)) continue
        const refusals = refusalsOf(error, batch)
        if (refusals.size === 0) throw error
        // Refused for good: those commands become durable rejections (rolled back locally); push the rest.
        await this.reject(refusals)
        await this.outbox.rewind()
      }
    }
  }

  /** Rejects refused commands: rolled back locally, journaled as rejected, reported. */
  private async reject(refusals: Map<string, Refusal>): Promise<void> {
    const outcome = await applyPull(this.deps(), [], undefined, this.accepted, refusals)
    this.host.onApplied(outcome)
  }

  private deps() {
    const { db, loaded, clientId, newId, now } = this.host
    return { db, loaded, clientId, newId, now }
  }

  private async pullAll(): Promise<void> {
    const limit = this.options.pullLimit ?? 500
    // The database is the truth for the cursor: another tab may have synced, or the database been re-created.
    await this.loadCursor()
    for (;;) {
      const collected: StoredWireEvent[] = []
      let cursor = this.cursor
      let page: PullResponse
      // Several pages per transaction: with pending events, the whole gap (one rollback instead of one per
      // page); without, enough to spread the cost of a commit (a first sync is mostly commits otherwise).
      const gather = (await this.hasPending()) ? 20_000 : 5_000
      let progressed: boolean
      do {
        this.spend('pull')
        const before = cursor
        page = await this.transport.pull(cursor, limit)
        await this.checkBackend(page.backendId)
        collected.push(...page.events)
        const last = page.events[page.events.length - 1]
        if (last) cursor = Math.max(cursor, last.seq)
        progressed = cursor > before
        // A page may be short of `limit` because the server cut it at its byte budget: more follows while we
        // are below the head. A page that does not move the cursor ends the gathering (apply what we have).
      } while (progressed && morePages(page, cursor) && collected.length < gather)
      this.share({ head: page.head })
      if (collected.length === 0) {
        if (cursor !== this.cursor) this.cursor = cursor
        return
      }
      const outcome = await applyPull(this.deps(), collected, cursor, this.accepted)
      this.cursor = cursor
      for (const e of collected) this.accepted.delete(e.id)
      this.host.onApplied(outcome)
      if (!morePages(page, cursor)) return
    }
  }

  private async hasPending(): Promise<boolean> {
    return (await this.host.db.table<CommandRecord>('commands').where('status').equals('pending').count()) > 0
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
    // This tab obeys at once (a `syncNow()` right after must not push); the others follow the meta row.
    this.paused = paused
    this.status.update({ paused })
    if (paused) this.stopLive()
    this.wake.notify()
  }

  /**
   * After a server reset: pushes this device's whole confirmed log to the new server (idempotent per event
   * id, so several devices may do it), adopts the new server and resumes sync (pending work follows).
   * Throws a SyncError `NOT_RESET` when the server was not reset, or the server's error (e.g. a 409 when the
   * new server already holds other events on the same streams).
   */
  async reupload(): Promise<ReuploadResult> {
    if (this.paused) throw new SyncError('SYNC_PAUSED', 'reuploadToServer: sync is paused; resume it first')
    const reset = this.stopped
    if (!(reset instanceof ServerResetError))
      throw new SyncError('NOT_RESET', 'reuploadToServer: the server was not reset; nothing to re-upload')
    const events = this.host.db.table<EventRecord>('events')
    const limit = this.options.pushBatch ?? 500
    let pushed = 0
    let from = 0
    for (;;) {
      const rows = await events
        .where('lpos')
        .above(from)
        .limit(limit * 4)
        .toArray()
      if (rows.length === 0) break
      from = rows[rows.length - 1]?.lpos as number
      const confirmed = rows.filter((e) => e.gpos !== undefined)
      for (let i = 0; i < confirmed.length; i += limit) {
        const batch = confirmed.slice(i, i + limit)
        const response = await this.transport.push({ clientId: this.host.clientId, events: batch.map(toWire) })
        if (response.backendId !== reset.current) throw new ServerResetError(reset.current, response.backendId)
        pushed += batch.length
      }
    }
    // Start over on the new server: pull everything again (known ids are skipped), then push what is pending.
    const meta = this.host.db.table<MetaRecord>('meta')
    await meta.bulkPut([
      { key: 'backendId', value: reset.current },
      { key: 'cursor', value: 0 },
    ])
    this.backendId = reset.current
    this.cursor = 0
    // What the old server had accepted is not on the new one: push it again.
    this.accepted.clear()
    this.stopped = undefined
    this.share({ lastError: null, head: 0 })
    this.wake.notify()
    return { pushed, backendId: reset.current }
  }

  async close(): Promise<void> {
    this.closed = true
    this.stopLive()
    this.wake.notify()
    for (const s of this.subscriptions) s.unsubscribe()
    this.unsubscribeStatus?.()
    this.channel?.close()
    this.onlineListeners?.()
  }
}

function toWire(e: EventRecord): WireEvent {
  return {
    id: e.id,
    stream: e.stream,
    version: e.version,
    type: e.type,
    data: e.data as WireEvent['data'],
    meta: e.meta as unknown as NonNullable<WireEvent['meta']>,
  }
}

/** True while the server has events past the page just read (a page can be cut short by its byte budget). */
function morePages(page: PullResponse, cursor: number): boolean {
  return page.events.length > 0 && cursor < page.head
}
