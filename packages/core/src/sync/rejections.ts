import { type Dexie, liveQuery } from 'dexie'
import type { RejectedCommand, RuntimeStatus, StatusHub } from '../runtime/status'
import type { CommandRecord } from '../store/records'

/**
 * Rejected commands are durable in the journal. This keeps `status.rejected` current in every tab (a live query
 * over the journal) and tells listeners about rejections that appear while it runs.
 */
export class RejectionWatcher {
  private readonly listeners = new Set<(rejected: RejectedCommand) => void>()
  private known: Set<string> | undefined
  private readonly subscription: { unsubscribe(): void }

  constructor(db: Dexie, status: StatusHub<RuntimeStatus>) {
    const commands = db.table<CommandRecord>('commands')
    this.subscription = liveQuery(() => commands.where('status').equals('rejected').toArray()).subscribe({
      next: (rows) => {
        const list: RejectedCommand[] = rows
          .map((c) => ({
            commandId: c.id,
            space: c.space,
            stream: c.stream,
            path: c.path,
            input: c.input,
            code: c.rejection?.code ?? 'REJECTED',
            message: c.rejection?.message ?? '',
            at: c.rejectedAt ?? c.issuedAt,
          }))
          .sort((a, b) => b.at - a.at)
        const known = this.known
        this.known = new Set(list.map((r) => r.commandId))
        status.update({ rejected: list })
        if (!known) return
        for (const r of list) if (!known.has(r.commandId)) for (const l of this.listeners) l(r)
      },
    })
  }

  /** Listens for new rejections; returns the function that stops listening. */
  listen(listener: (rejected: RejectedCommand) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  close(): void {
    this.subscription.unsubscribe()
    this.listeners.clear()
  }
}
