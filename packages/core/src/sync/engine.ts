import type { Dexie } from 'dexie'
import { liveQuery } from 'dexie'
import { SyncError } from '../domain/errors'
import type { ForgetResponse } from '../protocol'
import type { LoadedDomain } from '../runtime/loaded-domain'
import { isSpaceName } from '../runtime/space-choice'
import type { RuntimeStatus, StatusHub } from '../runtime/status'
import type { MetaRecord, SpaceRecord } from '../store/records'
import type { PullOutcome } from './apply-pull'
import { ERASED, type ForgetResult } from './forget-local'
import { forgetProof } from './forget-proof'
import type { LeaveSpaceOptions, LeaveSpaceResult } from './leave-space'
import { LiveChannel } from './live-channel'
import { type ReuploadResult, reuploadResetSpaces } from './reupload'
import { RequestBudget, type RoundContext } from './round-context'
import { backoffDelay, Signal } from './signal'
import { type JoinSpaceOptions, SpaceRegistry } from './space-registry'
import { SubjectKeyring } from './subject-keys'
import { type ForgetIncompleteDetails, ForgetIncompleteError, syncErrorOf } from './sync-errors'
import { initialSpaces, type SyncOptions, transportOf } from './sync-options'
import { isOnline, retryDelay, SyncRound } from './sync-round'
import { SyncStatusPublisher } from './sync-status-publisher'

export type { ReuploadResult } from './reupload'
export type { JoinSpaceOptions } from './space-registry'
export { type ForgetIncompleteDetails, ForgetIncompleteError, ServerResetError, syncErrorOf } from './sync-errors'
export type { SyncOptions } from './sync-options'

/** What the engine is given by the runtime that owns it. */
export interface SyncHost {
  db: Dexie
  loaded: LoadedDomain
  dbName: string
  clientId: string
  newId: () => string
  now: () => number
  status: StatusHub<RuntimeStatus>
  /** Undo is recorded for pending events (a rebuild on leave records it again). */
  recordUndo: boolean
  /**
   * The owner's listener for applied pulls and refusals (cache, live queries, async projections). The engine
   * only notifies; it never reaches into the runtime.
   */
  onApplied(outcome: PullOutcome): void
  /** A forgotten subject's data was erased here: cached states of `result.streams` are stale. */
  onForgotten?(result: ForgetResult): void
  /** The joined spaces changed (the runtime's command path checks them). */
  onSpaces(joined: ReadonlySet<string>): void
}

/**
 * The syncing tab's worker: for every joined space, pushes pending events in local order and pulls from the
 * space's cursor (all spaces in one request), applies pulls (rebasing pending commands), listens on one live
 * channel for all spaces, backs off on failures. A reset or refusal in one space never stops the others.
 * One tab syncs (Web Locks); the others follow through the shared database and a BroadcastChannel for status.
 *
 * The engine wires its parts and runs the loop: the joined spaces (`SpaceRegistry`), the status
 * (`SyncStatusPublisher`), the live channel (`LiveChannel`), a round of pushes and pulls (`SyncRound`, over a
 * `RoundContext`) and the re-upload after a server reset (`reuploadResetSpaces`). They get what they need
 * explicitly and report back through callbacks; none of them calls the engine.
 */
export class SyncEngine {
  private readonly wake = new Signal()
  private readonly accepted = new Set<string>()
  private readonly keyring: SubjectKeyring
  private readonly registry: SpaceRegistry
  private readonly publisher: SyncStatusPublisher
  private readonly live: LiveChannel
  private readonly context: RoundContext
  private readonly round: SyncRound
  private closed = false
  private running = false
  private paused = false
  private readonly subscriptions: { unsubscribe(): void }[] = []
  private onlineListeners: (() => void) | undefined

  constructor(
    private readonly host: SyncHost,
    private readonly options: SyncOptions,
  ) {
    this.registry = new SpaceRegistry({ ...host, encryption: options.encryption }, () => {
      this.host.onSpaces(this.registry.joined())
      this.publisher.publishSpaces()
      this.wake.notify()
    })
    const transport = transportOf(options, host.clientId, (space) => this.registry.get(space)?.token)
    this.keyring = new SubjectKeyring(transport)
    for (const space of initialSpaces(this.options))
      if (!isSpaceName(space)) throw new TypeError(`sync: invalid space name '${space}'`)
    this.publisher = new SyncStatusPublisher(host.status, host.db, this.registry.all)
    this.live = new LiveChannel(transport, this.registry.all, {
      wake: () => this.wake.notify(),
      connected: (connected) => this.publisher.share({ connected }),
      refused: (space, error) => {
        const s = this.registry.get(space)
        if (!s) return
        s.lastError = syncErrorOf(error)
        this.publisher.publishSpaces()
      },
    })
    this.context = {
      transport,
      deps: { db: host.db, loaded: host.loaded, clientId: host.clientId, newId: host.newId, now: host.now },
      accepted: this.accepted,
      registry: this.registry,
      options,
      budget: new RequestBudget(options, () => this.paused),
      onApplied: (outcome) => this.host.onApplied(outcome),
      keyring: this.keyring,
      recordUndo: host.recordUndo,
      onForgotten: (result) => this.host.onForgotten?.(result),
    }
    this.round = new SyncRound(this.context)
  }

  private get status() {
    return this.host.status
  }

  /** The joined spaces (as this tab last read them). */
  joined(): ReadonlySet<string> {
    return this.registry.joined()
  }

  /**
   * Joins the configured spaces, loads every joined space's cursor, starts watching the pause switch and the
   * spaces table. The owner then calls `lead()` in the tab elected to sync (or `autoStart: false` leaves the
   * rounds to `syncOnce()`).
   */
  async start(): Promise<void> {
    const db = this.host.db
    const paused = await db.table<MetaRecord>('meta').get('syncPaused')
    await this.registry.ensure(initialSpaces(this.options))
    await this.registry.load()
    await this.publisher.countPending()
    this.paused = paused?.value === true
    this.status.update({ paused: this.paused })
    this.watchShared()
    this.publisher.listen(this.host.dbName)
    if (typeof addEventListener === 'function') {
      const onOnline = () => this.wake.notify()
      addEventListener('online', onOnline)
      this.onlineListeners = () => removeEventListener('online', onOnline)
    }
    if (this.options.autoStart === false) this.publisher.lead()
  }

  /** True when the owner should elect this tab (`autoStart` is not false). */
  get wantsLeadership(): boolean {
    return this.options.autoStart !== false && !this.closed
  }

  /** Joins a space (kept across reloads, shared by tabs): the syncing tab pulls it. */
  async join(space: string, options: JoinSpaceOptions = {}): Promise<void> {
    await this.registry.join(space, options)
  }

  /**
   * Asks the server to forget `subject` in each of `spaces` (every joined space by default): its key there is
   * destroyed, and the `$SubjectForgotten` event every member pulls is appended. This device erases its own copy
   * with its next pull, started at once. Tries every space, whatever fails; resolves with the servers' answers
   * (in the order of the spaces) when all of them forgot. When any failed, rejects with one
   * {@link ForgetIncompleteError} (SyncError `FORGET_INCOMPLETE`) listing every failed space with its error and
   * every space where it was done. A transport without a key store rejects with `NO_KEY_STORE` at once.
   */
  async forgetSubject(subject: string, spaces?: readonly string[]): Promise<ForgetResponse[]> {
    const forget = this.context.transport.forget
    if (!forget) throw new SyncError('NO_KEY_STORE', 'forgetSubject: this transport reaches no subject key store')
    const details: ForgetIncompleteDetails = { subject, failures: [], forgotten: [] }
    for (const space of spaces ?? [...this.registry.joined()]) {
      try {
        // In an end-to-end encrypted space, members erase only on a forget a member proved (see forget-proof.ts).
        const cipher = this.registry.get(space)?.cipher
        const proof = cipher ? await forgetProof(space, subject, cipher) : undefined
        const result = await forget.call(this.context.transport, space, proof ? { subject, proof } : { subject })
        this.keyring.forgotten(space, subject)
        details.forgotten.push({ space, result })
      } catch (error) {
        details.failures.push({ space, error: syncErrorOf(error) })
      }
    }
    this.wake.notify()
    if (details.failures.length > 0) throw new ForgetIncompleteError(details)
    return details.forgotten.map((f) => f.result)
  }

  /**
   * Leaves a space: removes its events, commands and derived rows (see `removeSpace`). Fails with
   * `UNSYNCED_WORK` when some of its work is not synced, unless `discardPending`.
   */
  async leave(space: string, options: LeaveSpaceOptions = {}): Promise<LeaveSpaceResult> {
    this.keyring.dropSpace(space)
    try {
      return await this.registry.leave(space, options)
    } catch (error) {
      if (error instanceof SyncError && error.code === 'UNSYNCED_WORK') await this.publisher.countPending()
      throw error
    }
  }

  /** The local database was lost and re-created empty: join the same spaces again and pull everything. */
  async forgetCursor(): Promise<void> {
    this.accepted.clear()
    await this.registry.rejoin()
    this.wake.notify()
  }

  /**
   * The pause switch and the joined spaces are shared by every tab (they live in the database); commands run
   * in any tab wake the syncing one through the runtime's pending count.
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
          if (paused) this.live.stop()
          this.wake.notify()
        },
      }),
      liveQuery(() => db.table<SpaceRecord>('spaces').toArray()).subscribe({
        next: (rows: SpaceRecord[]) => this.registry.adopt(rows),
      }),
      // An erasure of a forgotten subject's data, made by whichever tab syncs: this tab's cached states of
      // those streams were computed from the erased data.
      liveQuery(() => db.table<MetaRecord>('meta').get(ERASED)).subscribe({
        next: (row: MetaRecord | undefined) => {
          const erased = row?.value as { streams?: string[] } | undefined
          if (erased?.streams) this.host.onForgotten?.({ events: 0, streams: erased.streams, rebuilt: [] })
        },
      }),
    )
    // The runtime keeps the pending count (over the shared journal): more pending work wakes the loop.
    this.publisher.watchPending(() => this.wake.notify())
  }

  /** This tab was elected to sync: runs the loop until closed. */
  lead(): void {
    if (this.closed) return
    this.registry.load().then(
      () => this.becomeLeader(),
      (error: unknown) => {
        // Reading the joined spaces failed (storage): reported, and tried again soon; this tab still leads.
        if (this.closed) return
        this.publisher.share({ lastError: syncErrorOf(error) })
        this.leadFailures += 1
        const timer = setTimeout(() => this.lead(), backoffDelay(this.leadFailures, 500, 30_000))
        ;(timer as { unref?: () => void }).unref?.()
      },
    )
  }

  /** Failed reads of the joined spaces when this tab began to lead, in a row. */
  private leadFailures = 0

  private becomeLeader(): void {
    if (this.closed) return
    this.publisher.lead()
    void this.loop()
  }

  private async loop(): Promise<void> {
    if (this.running) return
    this.running = true
    let attempt = 0
    let poked = false
    while (!this.closed) {
      if (this.registry.active().length === 0 || this.paused || !isOnline()) {
        this.live.stop()
        this.publisher.share({ connected: false, syncing: false })
        // Workers do not always get an `online` event (the page forwards its own): re-check each second.
        await this.wake.wait(isOnline() ? (this.options.heartbeatMs ?? 30_000) : 1000)
        continue
      }
      try {
        await this.syncOnce()
        attempt = 0
        this.startLive()
      } catch (error) {
        if (this.closed) break
        if (!isOnline()) continue
        // Only time spent failing lengthens the backoff: a round a poke started early (a local command, a live
        // poke) does not, or a busy user would wait the longest once the server is back.
        if (!poked || attempt === 0) attempt += 1
        // The spaces that did sync still get their pokes.
        this.startLive()
        poked = (await this.wake.wait(retryDelay(error, attempt))) === 'notified'
        continue
      }
      poked = (await this.wake.wait(this.options.heartbeatMs ?? 30_000)) === 'notified'
    }
    this.running = false
  }

  /** One live channel for every active space that syncs without error; reopened when that set changes. */
  private startLive(): void {
    if (this.closed) return
    this.live.open(this.registry.active().filter((s) => s.lastError === null))
  }

  /** Triggers a sync round now (no-op for a tab that does not sync). */
  poke(): void {
    this.wake.notify()
  }

  /**
   * One full round over every joined space: push everything pending (per space, in batches, whole commands
   * only), then pull every space until caught up (one request for all); repeats after a conflict (the pull
   * rebases, then the rebased events are pushed). Pushing and pulling are independent, and so are spaces: a
   * space whose push or pull fails (refused, reset) does not stop the others. Every loop is bounded.
   * Throws the first failure once the round is over (after pulling).
   */
  async syncOnce(): Promise<void> {
    if (this.paused) throw new SyncError('SYNC_PAUSED', 'Sync is paused (resume it to sync): nothing was sent')
    const stopped = [...this.registry.all.values()].find((s) => s.stopped)?.stopped
    if (this.registry.active().length === 0) {
      if (stopped) throw stopped
      throw new SyncError('NO_SPACE', 'no space is joined: nothing to sync (joinSpace first)')
    }
    this.publisher.share({ syncing: true })
    const { now, roundError, first } = await this.round.run()
    await this.publisher.countPending()
    this.publisher.publishSpaces()
    if (first !== undefined) {
      // Offline is a normal state, not an error worth shouting about. A round that ran to its end reached the
      // server, whatever some spaces were answered.
      this.publisher.share({
        syncing: false,
        connected: roundError === undefined,
        lastError: isOnline() ? syncErrorOf(first) : null,
      })
      throw first
    }
    this.publisher.share({ connected: true, syncing: false, lastSyncedAt: now, lastError: null })
  }

  /** Pauses or resumes sync for every tab of this database (persisted). */
  async setPaused(paused: boolean): Promise<void> {
    await this.host.db.table<MetaRecord>('meta').put({ key: 'syncPaused', value: paused })
    // This tab obeys at once (a `syncNow()` right after must not push); the others follow the meta row.
    this.paused = paused
    this.status.update({ paused })
    if (paused) this.live.stop()
    this.wake.notify()
  }

  /**
   * After a server reset: pushes this device's whole confirmed log of each reset space to the new server
   * (idempotent per event id, so several devices may do it), adopts the new server and resumes sync (pending
   * work follows). Throws a SyncError `NOT_RESET` when no space's server was reset, or the server's error (e.g. a
   * 409 when the new server already holds other events on the same streams).
   */
  async reupload(): Promise<ReuploadResult> {
    if (this.paused) throw new SyncError('SYNC_PAUSED', 'reuploadToServer: sync is paused; resume it first')
    const result = await reuploadResetSpaces(this.context, this.registry.all.values())
    this.publisher.share({ lastError: null })
    this.publisher.publishSpaces()
    this.wake.notify()
    return result
  }

  async close(): Promise<void> {
    this.closed = true
    this.live.stop()
    this.wake.notify()
    for (const s of this.subscriptions) s.unsubscribe()
    this.publisher.close()
    this.onlineListeners?.()
  }
}
