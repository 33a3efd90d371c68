import { type Dexie, liveQuery } from 'dexie'
import type { CommandRecord, QuarantineRecord } from '../store/records'
import type { RuntimeStatus, StatusHub } from './status'

const SHOWN_QUARANTINE = 50

/**
 * The status fields that come from the shared database, kept current in every tab by live queries: the
 * pending command count and the quarantined events. The runtime is their only writer.
 */
export function watchJournal(db: Dexie, status: StatusHub<RuntimeStatus>): () => void {
  const pending = liveQuery(() => db.table<CommandRecord>('commands').where('status').equals('pending').count())
  const quarantine = liveQuery(() => db.table<QuarantineRecord>('quarantine').toArray())
  const subscriptions = [
    pending.subscribe({ next: (count: number) => status.update({ pending: count }) }),
    quarantine.subscribe({
      next: (rows: QuarantineRecord[]) =>
        status.update({
          quarantined: rows
            .sort((a, b) => b.at - a.at || b.position - a.position)
            .slice(0, SHOWN_QUARANTINE)
            .map((r) => ({ ...r })),
        }),
    }),
  ]
  return () => {
    for (const s of subscriptions) s.unsubscribe()
  }
}
