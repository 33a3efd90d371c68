import { type Dexie, liveQuery } from 'dexie'
import type { CommandRecord, QuarantineRecord } from '../store/records'
import type { RuntimeStatus, StatusHub } from './status'

const SHOWN_QUARANTINE = 50

/**
 * The status fields that come from the shared database, kept current in every tab by live queries: the
 * quarantined events, and with sync the pending command count (without sync nothing is ever confirmed, so the
 * runtime counts its own commands instead of re-counting the journal after every commit). The runtime is their
 * only writer.
 */
export function watchJournal(
  db: Dexie,
  status: StatusHub<RuntimeStatus>,
  options: { countPending: boolean },
): () => void {
  const quarantine = liveQuery(() => db.table<QuarantineRecord>('quarantine').toArray())
  const subscriptions = [
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
  if (options.countPending) {
    // With sync, commands become confirmed or rejected in whichever tab syncs: count the shared journal.
    const pending = liveQuery(() => db.table<CommandRecord>('commands').where('status').equals('pending').count())
    subscriptions.push(pending.subscribe({ next: (count: number) => status.update({ pending: count }) }))
  }
  return () => {
    for (const s of subscriptions) s.unsubscribe()
  }
}
