import type { Dexie, Table } from 'dexie'
import { HandlerError } from '../domain/errors'
import type { RecordedEvent } from '../domain/events'
import type { IssuedCommand, Reactor, ReactorContext } from '../domain/reactor'
import type { CheckpointRecord, EventRecord, SpaceRecord } from '../store/records'
import { backoffDelay } from '../sync/signal'
import { deepEqual } from './equal'
import type { CommandRequest, CommandResult } from './executor'
import { type LoadedDomain, parseStream } from './loaded-domain'
import { toRecorded } from './recorded'
import type { ReactorStatus, RuntimeStatus, StatusHub } from './status'

interface Host {
  db: Dexie
  loaded: LoadedDomain
  clientId: () => string
  execute(path: string, request: CommandRequest): Promise<CommandResult>
  status: StatusHub<RuntimeStatus>
  isClosed(): boolean
}

const BATCH = 200

/** A row of the `processes` table: a process manager's state for one correlation key (`<reactor>:<key>`). */
interface ProcessRow {
  key: string
  state: unknown
}

/** A process manager's answer to one event: where its state goes, the row it was decided on, and what it issues. */
interface DecidedStep {
  key: string
  row: ProcessRow | undefined
  state: unknown
  commands: IssuedCommand[]
}

/**
 * Runs reactors and process managers after commit: each keeps a checkpoint (local position, or server seq for
 * `confirmed` ones) and a record of the events it handled, so a rebase that re-adds pending events, a
 * confirmation from the server or a projection rebuild never re-triggers it. At least once: commands it issues
 * get ids derived from the causing event, so a re-delivery never executes one twice. By default a reactor only
 * reacts to events this client produced (every device runs the same code: the device that acted reacts).
 */
export class ReactorRunner {
  private running = false
  private again = false
  private readonly stopped = new Set<string>()

  constructor(
    private readonly host: Host,
    private readonly reactors: readonly Reactor[],
  ) {
    const initial: Record<string, ReactorStatus> = {}
    for (const r of reactors) initial[r.name] = { state: 'running', position: 0, lastError: null, skipped: 0 }
    if (reactors.length > 0) host.status.update({ reactors: initial })
  }

  /** Runs every reactor until caught up; calls during a run are coalesced into one more round. */
  schedule(): void {
    if (this.reactors.length === 0) return
    if (this.running) {
      this.again = true
      return
    }
    this.running = true
    void (async () => {
      try {
        do {
          this.again = false
          for (const r of this.reactors) {
            if (this.host.isClosed()) return
            if (this.stopped.has(r.name)) continue
            try {
              await this.catchUp(r)
            } catch (error) {
              if (this.host.isClosed()) return
              // Storage failed under the reactor: report it; the next commit schedules another attempt.
              const message = error instanceof Error ? error.message : String(error)
              this.report(r.name, { state: 'retrying', lastError: { message, eventId: '', type: '' } })
            }
          }
        } while (this.again && !this.host.isClosed())
      } finally {
        this.running = false
      }
    })()
  }

  private report(name: string, patch: Partial<ReactorStatus>): void {
    const all = this.host.status.get().reactors
    const current = all[name] ?? { state: 'running', position: 0, lastError: null, skipped: 0 }
    this.host.status.update({ reactors: { ...all, [name]: { ...current, ...patch } } })
  }

  private async catchUp(reactor: Reactor): Promise<void> {
    if (!reactor.confirmed) return this.follow(reactor, logOrder(this.host.db, reactor))
    // Server seqs are per space: a confirmed reactor follows each space's confirmed log on its own checkpoint.
    const spaces = await this.host.db.table<SpaceRecord>('spaces').toArray()
    for (const { space } of spaces) {
      if (this.host.isClosed()) return
      await this.follow(reactor, spaceOrder(this.host.db, reactor, space, spaces.length === 1))
    }
  }

  /** Handles the events of one ordering after its checkpoint, saving the checkpoint after each. */
  private async follow(reactor: Reactor, order: Ordering): Promise<void> {
    const { db } = this.host
    const key = order.key
    const checkpoints = db.table<CheckpointRecord>('checkpoints')
    let checkpoint = await checkpoints.get(key)
    if (!checkpoint) {
      const legacy = order.legacyKey ? await checkpoints.get(order.legacyKey) : undefined
      const last = legacy?.position ?? (reactor.startAt === 'end' ? await order.last() : 0)
      checkpoint = { projection: key, table: key, position: last, state: 'ready' }
      await checkpoints.put(checkpoint)
    }
    let position = checkpoint.position
    this.report(reactor.name, { position })
    for (;;) {
      const batch = await order.after(position)
      if (batch.length === 0) return
      for (const record of batch) {
        if (this.host.isClosed()) return
        const next = order.positionOf(record)
        const handled = await this.handle(reactor, record)
        if (handled === 'stop') return
        position = next
        await db.transaction('rw', ['checkpoints', 'reactions'], async (tx) => {
          if (handled === 'done') await tx.table('reactions').put({ reactor: reactor.name, event: record.id })
          await tx.table('checkpoints').put({ projection: key, table: key, position, state: 'ready' })
        })
        this.report(reactor.name, { position })
      }
    }
  }

  /** Runs the handler for one event: 'done', 'skipped' (not for this reactor, or skipped after an error), or 'stop'. */
  private async handle(reactor: Reactor, record: EventRecord): Promise<'done' | 'skipped' | 'stop'> {
    const aggregate = this.host.loaded.aggregates.get(parseStream(record.stream).aggregate)
    const qualified = `${parseStream(record.stream).aggregate}.${record.type}`
    const handler = reactor.on[qualified]
    if (!handler || record.meta?.clientId !== this.host.clientId()) return 'skipped'
    if (await this.host.db.table('reactions').get([reactor.name, record.id])) return 'skipped'
    const event = toRecorded(record, aggregate?.events)
    for (let attempt = 1; ; attempt++) {
      try {
        if (reactor.process) await this.runProcess(reactor, record, event)
        else await handler(event, this.context(reactor, event))
        if (attempt > 1) this.report(reactor.name, { state: 'running' })
        return 'done'
      } catch (cause) {
        const error = new HandlerError(`reactor '${reactor.name}' handling ${qualified}`, cause)
        const lastError = { message: error.message, eventId: record.id, type: qualified }
        if (reactor.onError === 'skip') {
          const skipped = (this.host.status.get().reactors[reactor.name]?.skipped ?? 0) + 1
          this.report(reactor.name, { lastError, skipped })
          return 'skipped'
        }
        if (reactor.onError === 'stop') {
          this.stopped.add(reactor.name)
          this.report(reactor.name, { state: 'stopped', lastError })
          return 'stop'
        }
        this.report(reactor.name, { state: 'retrying', lastError })
        await new Promise((resolve) => setTimeout(resolve, backoffDelay(attempt, 200, 30_000)))
        if (this.host.isClosed()) return 'stop'
      }
    }
  }

  /** Commands issued while handling `event` get ids derived from it: `reactor:eventId:n`. */
  private context(reactor: Reactor, event: RecordedEvent): ReactorContext {
    let n = 0
    return {
      reactor: reactor.name,
      execute: (path, request) =>
        this.host.execute(path, {
          ...request,
          // A new stream goes to the causing event's space unless the command or the domain says otherwise.
          defaultSpace: event.space,
          commandId: `${reactor.name}:${event.id}:${n++}`,
          causationId: event.id,
          correlationId: event.meta.correlationId ?? event.meta.commandId,
        }),
    }
  }

  private async runProcess(reactor: Reactor, record: EventRecord, event: RecordedEvent): Promise<void> {
    const step = await this.decideStep(reactor, event, this.host.db.table<ProcessRow, string>('processes'))
    if (!step) return
    const ctx = this.context(reactor, event)
    for (const command of step.commands) await ctx.execute(command.path, { id: command.id, input: command.input })
    await this.saveStep(reactor, record, step)
  }

  /** The process's step for `event`, decided on the state `processes` holds for its key (none if not its event). */
  private async decideStep(
    reactor: Reactor,
    event: RecordedEvent,
    processes: Table<ProcessRow, string>,
  ): Promise<DecidedStep | undefined> {
    const process = reactor.process
    const qualified = `${parseStream(event.stream).aggregate}.${event.type}`
    const correlate = process?.correlate[qualified]
    const decide = process?.decide[qualified]
    if (!process || !correlate || !decide) return undefined
    const key = `${reactor.name}:${correlate(event)}`
    const row = await processes.get(key)
    const step = decide(row ? row.state : process.initialState(), event)
    return { key, row, state: step.state, commands: step.commands ?? [] }
  }

  /**
   * Writes a step's state, in one transaction with a fresh read of its event and its row. A forget that committed
   * while the step's commands ran erased personal values from both (sync/forget-local.ts), and the state decided
   * on the old ones would bring them back: then the step is decided again on what is stored now. Its commands
   * stand (the decider is pure; they were issued once, with ids derived from the event).
   */
  private async saveStep(reactor: Reactor, record: EventRecord, step: DecidedStep): Promise<void> {
    const { db, loaded } = this.host
    await db.transaction('rw', ['events', 'processes'], async (tx) => {
      const processes = tx.table<ProcessRow, string>('processes')
      const stored = await tx.table<EventRecord>('events').where('id').equals(record.id).first()
      const unchanged =
        (stored === undefined || deepEqual(stored.data, record.data)) &&
        deepEqual(await processes.get(step.key), step.row)
      const events = loaded.aggregates.get(parseStream(record.stream).aggregate)?.events
      const final = unchanged || !stored ? step : await this.decideStep(reactor, toRecorded(stored, events), processes)
      if (final) await processes.put({ key: final.key, state: final.state })
    })
  }
}

/** One order a reactor follows: where its checkpoint is kept, and how to read events after it. */
interface Ordering {
  key: string
  /** The checkpoint of a database from before per-space checkpoints, adopted once. */
  legacyKey?: string | undefined
  after(position: number): Promise<EventRecord[]>
  positionOf(record: EventRecord): number
  /** Position of the last event (for `startAt: 'end'`). */
  last(): Promise<number>
}

/** Local log order (every event, pending ones too). */
function logOrder(db: Dexie, reactor: Reactor): Ordering {
  const events = db.table<EventRecord>('events')
  return {
    key: `reactor:${reactor.name}`,
    after: (position) => events.where('lpos').above(position).limit(BATCH).toArray(),
    positionOf: (record) => record.lpos as number,
    last: async () => ((await events.orderBy('lpos').lastKey()) as number | undefined) ?? 0,
  }
}

/** One space's confirmed events, in server order. */
function spaceOrder(db: Dexie, reactor: Reactor, space: string, onlySpace: boolean): Ordering {
  const events = db.table<EventRecord>('events')
  const range = (from: number) => events.where('[space+gpos]').between([space, from], [space, Infinity], false, true)
  return {
    key: `reactor:${reactor.name}@${space}`,
    legacyKey: onlySpace ? `reactor:${reactor.name}` : undefined,
    after: (position) => range(position).limit(BATCH).toArray(),
    positionOf: (record) => record.gpos as number,
    last: async () => (await range(0).last())?.gpos ?? 0,
  }
}
