import type { Dexie } from 'dexie'
import type { CommandRecord, EventRecord } from '../store/records'
import { commandsIn } from './refusals'

/**
 * What to push next to one space: its pending events in local order, in batches of whole commands, skipping
 * those the server already accepted (their confirmation comes with a pull). After a 413 it sends fewer commands
 * per batch, down to one, for the rest of the round.
 */
export class Outbox {
  private from = 0
  private commandLimit = Number.POSITIVE_INFINITY

  constructor(
    private readonly db: Dexie,
    private readonly accepted: ReadonlySet<string>,
    private readonly eventLimit: number,
    private readonly space: string,
  ) {}

  /** Starts a round: from the first pending event, at the configured size. */
  async restart(): Promise<void> {
    this.commandLimit = Number.POSITIVE_INFINITY
    this.from = await this.firstPendingPosition()
  }

  /** Starts again from the first pending event, keeping the round's size (after a refusal removed some). */
  async rewind(): Promise<void> {
    this.from = await this.firstPendingPosition()
  }

  /** The batch was sent: the next one starts after it. */
  sent(batch: EventRecord[]): void {
    this.from = batch[batch.length - 1]?.lpos ?? this.from
  }

  /** The server found `batch` too large: halve the commands per batch. False when it is a single command. */
  shrink(batch: EventRecord[]): boolean {
    const commands = commandsIn(batch)
    if (commands <= 1) return false
    this.commandLimit = Math.max(1, Math.floor(commands / 2))
    return true
  }

  /** The next batch; empty when everything pending was sent. */
  async next(): Promise<EventRecord[]> {
    const limit = this.eventLimit
    const events = this.db.table<EventRecord>('events')
    const batch: EventRecord[] = []
    let from = this.from
    for (;;) {
      const rows = await events
        .where('lpos')
        .above(from)
        .limit(Math.max(limit * 2, 100))
        .toArray()
      if (rows.length === 0) break
      for (const row of rows) {
        if (row.gpos !== undefined || row.space !== this.space || this.accepted.has(row.id)) {
          from = row.lpos as number
          continue
        }
        const last = batch[batch.length - 1]
        const newCommand = last !== undefined && last.meta.commandId !== row.meta.commandId
        if (newCommand && (batch.length >= limit || commandsIn(batch) >= this.commandLimit)) return batch
        from = row.lpos as number
        batch.push(row)
      }
      if (batch.length >= limit) return batch
    }
    return batch
  }

  private async firstPendingPosition(): Promise<number> {
    const pending = (await this.db.table<CommandRecord>('commands').where('status').equals('pending').toArray()).filter(
      (c) => c.space === this.space,
    )
    const ids = pending.flatMap((c) => c.eventIds)
    if (ids.length === 0) return Number.MAX_SAFE_INTEGER
    const rows = await this.db.table<EventRecord>('events').where('id').anyOf(ids).toArray()
    let first = Number.MAX_SAFE_INTEGER
    for (const r of rows) if (r.gpos === undefined) first = Math.min(first, r.lpos as number)
    return first === Number.MAX_SAFE_INTEGER ? first : first - 1
  }
}
