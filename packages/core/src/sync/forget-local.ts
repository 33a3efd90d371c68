/**
 * Erasing a forgotten subject's personal data from this database (crypto-shredding, issue 16). The server
 * destroyed the subject's key and appended `$SubjectForgotten`; every member that pulls it erases its own copy
 * here, in one transaction: the personal fields of the subject's events become {@link REDACTED} (the events, their
 * ids and versions stay); the values they held are erased from the commands that concern the subject, from
 * process managers' states and from quarantine messages (see forget-erase.ts); snapshots of their streams go, and the read models fed by
 * those streams are rebuilt from the log. Read models then equal a rebuild, deciders see the redacted values.
 * Erasures to make are noted durably first (`meta.forgetting`), so a tab that dies half-way makes them at its
 * next round.
 */
import type { Dexie, Table, Transaction } from 'dexie'
import { REDACTED } from '../domain/events'
import { type LoadedDomain, parseStream } from '../runtime/loaded-domain'
import { withQuarantine } from '../runtime/project'
import type { CommandRecord, EventRecord, MetaRecord, QuarantineRecord, SnapshotRecord } from '../store/records'
import { type Erasure, eraseFromCommands, eraseFromProcesses, eraseFromQuarantine, leavesOf } from './forget-erase'
import { rebuildInPlace } from './leave-space'
import { personalOf } from './personal-fields'
import type { PullDeps } from './pull-state'

/** A subject to erase from one space's data. */
export interface Forgetting {
  space: string
  subject: string
}

/** What erasing a subject changed here. */
export interface ForgetResult {
  /** Events whose personal fields were redacted. */
  events: number
  /** Their streams (cached aggregate states of them are stale). */
  streams: string[]
  /** Read models rebuilt. */
  rebuilt: string[]
}

const FORGETTING = 'forgetting'
/** The meta key of the subjects erased here, as `<space>\n<subject>`. */
const FORGOTTEN = 'forgottenSubjects'

/** Whether a forget of `subject` in `space` was erased here before (a proven one, in an encrypted space). */
export async function erasedHere(db: Dexie, space: string, subject: string): Promise<boolean> {
  const erased = ((await db.table<MetaRecord>('meta').get(FORGOTTEN))?.value as string[] | undefined) ?? []
  return erased.includes(`${space}\n${subject}`)
}

/** The meta key of the last erasure's streams (see `watchErasures`). */
export const ERASED = 'erased'

/** Notes erasures to make (before the pull that brought them is applied). */
export async function noteForgetting(db: Dexie, items: readonly Forgetting[]): Promise<void> {
  if (items.length === 0) return
  await db.transaction('rw', 'meta', async (tx) => {
    const meta = tx.table<MetaRecord>('meta')
    const noted = ((await meta.get(FORGETTING))?.value as Forgetting[] | undefined) ?? []
    const known = new Set(noted.map((f) => `${f.space}\n${f.subject}`))
    const more = items.filter((f) => !known.has(`${f.space}\n${f.subject}`))
    if (more.length > 0) await meta.put({ key: FORGETTING, value: [...noted, ...more] })
  })
}

/** The erasures noted and not made yet. */
export async function notedForgetting(db: Dexie): Promise<Forgetting[]> {
  return ((await db.table<MetaRecord>('meta').get(FORGETTING))?.value as Forgetting[] | undefined) ?? []
}

/**
 * Erases `subject`'s personal data of `space` from the database, then removes the note of it. Idempotent.
 */
export async function forgetLocally(deps: PullDeps & { recordUndo: boolean }, item: Forgetting): Promise<ForgetResult> {
  const { db, loaded } = deps
  const tables = [
    'events',
    'commands',
    'undo',
    'snapshots',
    'quarantine',
    'checkpoints',
    'processes',
    'meta',
    ...loaded.projections.map((p) => p.tableName),
  ]
  return withQuarantine((guarded) =>
    db.transaction('rw', tables, async (tx) => {
      const { redacted, erasure } = await redactEvents(tx.table<EventRecord>('events'), loaded, item)
      const streams = [...new Set(redacted.map((e) => e.stream))]
      await eraseFromCommands(tx.table<CommandRecord, string>('commands'), loaded, erasure)
      await eraseFromProcesses(tx.table('processes'), erasure)
      const rebuilt = await dropDerived(tx, deps, guarded, streams)
      // After the rebuilds: they redid their projections' quarantine from the redacted log.
      await eraseFromQuarantine(tx.table<QuarantineRecord>('quarantine'), erasure)
      await noteErased(tx.table<MetaRecord>('meta'), item, streams, deps.now)
      return { events: redacted.length, streams, rebuilt }
    }),
  )
}

/**
 * Redacts the personal fields of the subject's events in the space; gives the events changed and what the
 * other tables' erasure needs: the subject's streams (their events redacted now or already: a pull may have
 * brought them REDACTED) and the values redacted now.
 */
async function redactEvents(
  events: Table<EventRecord>,
  loaded: LoadedDomain,
  item: Forgetting,
): Promise<{ redacted: EventRecord[]; erasure: Erasure }> {
  const redacted: EventRecord[] = []
  const values = new Set<unknown>()
  const streams = new Set<string>()
  await events
    .where('space')
    .equals(item.space)
    .each((e) => {
      const view = personalOf(loaded, e)
      if (!view || view.subject !== item.subject) return
      streams.add(e.stream)
      const data = { ...e.data }
      let changed = false
      for (const field of view.personal.fields)
        if (field in data && data[field] !== REDACTED) {
          leavesOf(data[field], values)
          data[field] = REDACTED
          changed = true
        }
      if (changed) redacted.push({ ...e, data })
    })
  if (redacted.length > 0) await events.bulkPut(redacted)
  return { redacted, erasure: { ...item, streams, values } }
}

/** Drops the snapshots of `streams` and rebuilds the read models they feed; gives the names of those. */
async function dropDerived(
  tx: Transaction,
  deps: PullDeps & { recordUndo: boolean },
  guarded: boolean,
  streams: readonly string[],
): Promise<string[]> {
  if (streams.length === 0) return []
  const streamSet = new Set(streams)
  await tx
    .table<SnapshotRecord>('snapshots')
    .filter((s) => streamSet.has(s.stream))
    .delete()
  const aggregates = new Set(streams.map((s) => parseStream(s).aggregate))
  const rebuilt: string[] = []
  for (const p of deps.loaded.projections) {
    if (!p.from.some((a) => aggregates.has(a))) continue
    await rebuildInPlace(tx, deps.loaded, p, guarded, {
      recordUndo: deps.recordUndo && p.mode === 'inline',
      now: deps.now,
    })
    rebuilt.push(p.name)
  }
  return rebuilt
}

/** Notes the erasure as made: the subject as erased here, the streams whose cached states are stale, no note left. */
async function noteErased(
  meta: Table<MetaRecord>,
  item: Forgetting,
  streams: readonly string[],
  now: () => number,
): Promise<void> {
  // Subjects erased here: data of theirs written later (offline, or re-run) is erased when it is pushed.
  const erasedBefore = ((await meta.get(FORGOTTEN))?.value as string[] | undefined) ?? []
  const id = `${item.space}\n${item.subject}`
  if (!erasedBefore.includes(id)) await meta.put({ key: FORGOTTEN, value: [...erasedBefore, id] })
  // Every tab's worker watches this: its cached states of these streams were computed from the erased data.
  if (streams.length > 0) await meta.put({ key: ERASED, value: { at: now(), streams } })
  const noted = ((await meta.get(FORGETTING))?.value as Forgetting[] | undefined) ?? []
  const rest = noted.filter((f) => f.space !== item.space || f.subject !== item.subject)
  if (rest.length !== noted.length) await meta.put({ key: FORGETTING, value: rest })
}
