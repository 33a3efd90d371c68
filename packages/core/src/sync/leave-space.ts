/**
 * Leaving a space: its events, its commands (pending ones only when the app agreed to discard them), what was
 * derived from them and its sync state are removed in one transaction. Read models then equal a rebuild from
 * the remaining log: rows of `scope: 'space'` projections carry their space and are deleted by it; `scope: 'all'`
 * projections are rebuilt from the remaining log in the same transaction.
 */
import type { Dexie, Transaction } from 'dexie'
import { SyncError } from '../domain/errors'
import type { LoadedDomain, RuntimeProjection } from '../runtime/loaded-domain'
import { Projecting, withQuarantine } from '../runtime/project'
import { WriteSink } from '../runtime/projector'
import {
  type CheckpointRecord,
  type CommandRecord,
  type EventRecord,
  HIGH_WATER,
  type MetaRecord,
  type SnapshotRecord,
  type SpaceRecord,
} from '../store/records'
import { ROW_SPACE } from '../store/schema'

/** Options of `leaveSpace`. */
export interface LeaveSpaceOptions {
  /**
   * Leave even though some of this space's commands are not synced yet: they are discarded (lost). Without it,
   * leaving a space with unsynced work fails with a SyncError `UNSYNCED_WORK` and keeps everything.
   */
  discardPending?: boolean
}

/** What leaving a space removed. */
export interface LeaveSpaceResult {
  space: string
  /** Events removed from the local log. */
  events: number
  /** Pending (unsynced) commands discarded. */
  discarded: number
  /** Read models rebuilt from the remaining log (`scope: 'all'`). */
  rebuilt: string[]
}

/** Removes a space from the database. Throws `UNSYNCED_WORK` (nothing removed) when work is pending. */
export async function removeSpace(
  db: Dexie,
  loaded: LoadedDomain,
  space: string,
  options: LeaveSpaceOptions & { recordUndo: boolean; now: () => number },
): Promise<LeaveSpaceResult> {
  const tables = [
    'events',
    'commands',
    'undo',
    'snapshots',
    'quarantine',
    'spaces',
    'checkpoints',
    'meta',
    ...loaded.projections.map((p) => p.tableName),
  ]
  return withQuarantine((guarded) =>
    db.transaction('rw', tables, async (tx) => {
      const commands = tx.table<CommandRecord>('commands')
      const pending = (await commands.where('space').equals(space).toArray()).filter((c) => c.status === 'pending')
      if (pending.length > 0 && options.discardPending !== true)
        throw new SyncError(
          'UNSYNCED_WORK',
          `space '${space}' has ${pending.length} unsynced command(s): sync first, or leave with { discardPending: true }`,
          { space, pending: pending.length },
        )
      const events = tx.table<EventRecord>('events')
      // Positions are never given out twice (async projections and reactors are past them): remember the highest.
      const [last, high] = await Promise.all([
        events.orderBy(':id').lastKey() as Promise<number | undefined>,
        tx.table<MetaRecord>('meta').get(HIGH_WATER),
      ])
      const highest = Math.max(last ?? 0, (high?.value as number | undefined) ?? 0)
      if (highest > 0) await tx.table<MetaRecord>('meta').put({ key: HIGH_WATER, value: highest })
      const streams = new Set<string>()
      const positions: number[] = []
      await events
        .where('space')
        .equals(space)
        .each((e) => {
          streams.add(e.stream)
          if (e.gpos === undefined) positions.push(e.lpos as number)
        })
      const count = await events.where('space').equals(space).delete()
      await commands.where('space').equals(space).delete()
      if (positions.length > 0) await tx.table('undo').where('lpos').anyOf(positions).delete()
      await tx
        .table<SnapshotRecord>('snapshots')
        .filter((s) => streams.has(s.stream))
        .delete()
      await tx
        .table('quarantine')
        .filter((q: { stream: string }) => streams.has(q.stream))
        .delete()
      await tx.table<SpaceRecord>('spaces').delete(space)
      const rebuilt: string[] = []
      for (const p of loaded.projections) {
        if (p.scope === 'all') {
          await rebuildInPlace(tx, loaded, p, guarded, options)
          rebuilt.push(p.name)
        } else await tx.table(p.tableName).where(ROW_SPACE).equals(space).delete()
      }
      return { space, events: count, discarded: pending.length, rebuilt }
    }),
  )
}

/** Rebuilds one read model from the whole remaining log inside `tx` (its undo is recorded again for pending events). */
export async function rebuildInPlace(
  tx: Transaction,
  loaded: LoadedDomain,
  p: RuntimeProjection,
  guarded: boolean,
  options: { recordUndo: boolean; now: () => number },
): Promise<void> {
  const table = tx.table(p.tableName)
  await table.clear()
  const undo = tx.table<{ lpos: number; n: number; table: string }>('undo')
  await undo.filter((u) => u.table === p.tableName).delete()
  await tx.table('quarantine').where('projection').equals(p.name).delete()
  const writes = new WriteSink()
  const projecting = new Projecting(tx, loaded, writes, guarded, options.now)
  const events = tx.table<EventRecord>('events')
  let from = 0
  let last = 0
  for (;;) {
    const chunk = await events.where('lpos').above(from).limit(2000).toArray()
    if (chunk.length === 0) break
    for (const record of chunk) {
      if (!p.from.includes(record.stream.slice(0, record.stream.indexOf(':')))) continue
      const recordUndo = options.recordUndo && record.gpos === undefined
      // Undo rows of other projections already hold sequence numbers at this position: continue after the
      // highest (not their count: the rows just deleted may have left a gap below another projection's).
      const undoStart = recordUndo
        ? ((await undo.where('[lpos+n]').between([record.lpos, 0], [record.lpos, Infinity]).last())?.n ?? -1) + 1
        : 0
      await projecting.apply([p], record, { recordUndo, undoStart })
    }
    from = chunk[chunk.length - 1]?.lpos as number
    last = from
  }
  const checkpoints = tx.table<CheckpointRecord>('checkpoints')
  const checkpoint = await checkpoints.get(p.name)
  await checkpoints.put({
    projection: p.name,
    table: p.tableName,
    position: Math.max(last, checkpoint?.position ?? 0),
    state: 'ready',
  })
  await projecting.saveUnknown()
  await tx.table('meta').get('cursor')
  writes.throwIfFailed()
}
