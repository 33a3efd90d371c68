/** The rollback step of a pull: pending events' read-model effects undone from the undo log, newest first. */
import type { Table, Transaction } from 'dexie'
import type { LoadedDomain } from '../runtime/loaded-domain'
import { WriteSink } from '../runtime/projector'
import type { CheckpointRecord, EventRecord, QuarantineRecord, UndoRecord } from '../store/records'

/**
 * Step 2: undoes the read-model effects of pending events (newest first) and removes them from the log; they
 * are re-added after the pulled events. Their quarantine entries go too (re-applying decides again). Async
 * projections that had processed them are moved back.
 */
export async function rollBack(tx: Transaction, pending: EventRecord[], loaded: LoadedDomain): Promise<void> {
  if (pending.length === 0) return
  const first = pending[0]?.lpos ?? 0
  const undo = tx.table<UndoRecord>('undo')
  const rows = await undo.where('lpos').aboveOrEqual(first).toArray()
  rows.sort((a, b) => b.lpos - a.lpos || b.n - a.n)
  const writes = new WriteSink()
  // Rows of a table that a projection upgrade dropped have nothing left to restore (the rebuild recorded its own).
  const tables = new Set(loaded.projections.map((p) => p.tableName))
  for (const row of rows) {
    if (!tables.has(row.table) || row.read !== undefined) continue
    const table: Table = tx.table(row.table)
    if (row.before === undefined) writes.track(() => table.delete(row.key as never))
    else writes.track(() => table.put(row.before))
  }
  writes.track(() => undo.where('lpos').aboveOrEqual(first).delete())
  writes.track(() => tx.table<EventRecord>('events').bulkDelete(pending.map((e) => e.lpos as number)))
  const ids = new Set(pending.map((e) => e.id))
  writes.track(() =>
    tx
      .table<QuarantineRecord>('quarantine')
      .filter((q) => ids.has(q.eventId))
      .delete(),
  )
  const checkpoints = tx.table<CheckpointRecord>('checkpoints')
  for (const p of loaded.projections) {
    if (p.mode !== 'async') continue
    const cp = await checkpoints.get(p.name)
    if (cp && cp.position >= first) writes.track(() => checkpoints.put({ ...cp, position: first - 1 }))
  }
  await tx.table('meta').get('cursor')
  writes.throwIfFailed()
}
