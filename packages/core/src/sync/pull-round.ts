/**
 * Pulling in a round: every active space until caught up, one request asking all the spaces still behind, several
 * pages gathered per transaction and applied together (rebasing pending commands). A space whose pull fails is
 * noted and left out; the others go on.
 */
import type { Dexie } from 'dexie'
import { SyncError } from '../domain/errors'
import { type StoredWireEvent, SUBJECT_FORGOTTEN } from '../protocol'
import type { CommandRecord } from '../store/records'
import { applyPull, type PullOutcome, type SpaceBatch } from './apply-pull'
import { type Forgetting, forgetLocally, notedForgetting, noteForgetting } from './forget-local'
import { isForgetProven } from './forget-proof'
import type { RoundContext } from './round-context'
import type { SpaceSync } from './space-registry'
import { ServerResetError } from './sync-errors'
import { openPage } from './wire-form'

/**
 * Pulls every active space until caught up: one request asks all spaces still behind; several pages are
 * gathered per transaction. A space whose pull fails is noted in `failures` and left out for the round.
 */
export async function pullAll(ctx: RoundContext, failures: Map<string, unknown>): Promise<void> {
  const { transport, deps, accepted, registry, options, budget } = ctx
  const limit = options.pullLimit ?? 500
  // The database is the truth for cursors: another tab may have synced, or the database been re-created.
  await registry.load()
  // Erasures noted by a round that did not get to make them (the tab died half-way).
  await eraseNoted(ctx)
  // Every space is pulled, its push failed or not: pushing and pulling are independent. A space whose pull
  // fails here is left out of the rest of this pull.
  const failed = new Set<string>()
  const fail = (space: string, error: unknown) => {
    failed.add(space)
    if (!failures.has(space)) failures.set(space, error)
  }
  let behind = registry.active()
  while (behind.length > 0) {
    const starts = new Map(behind.map((s) => [s.space, s.cursor]))
    const cursors = new Map(starts)
    const collected = new Map<string, StoredWireEvent[]>(behind.map((s) => [s.space, []]))
    // Subjects the server says were forgotten ($SubjectForgotten): erased here once the pull is applied.
    const forgetting: Forgetting[] = []
    // Several pages per transaction: with pending events, the whole gap (one rollback instead of one per
    // page); without, enough to spread the cost of a commit (a first sync is mostly commits otherwise).
    const gather = (await hasPending(deps.db)) ? 20_000 : 5_000
    let total = 0
    let asking = behind
    // Spaces still below their head after the last request (a multi-space answer has one byte budget: a space
    // may come back short, even empty, and is asked again). A request that moves no cursor ends the round.
    let stillBehind: SpaceSync[] = []
    while (asking.length > 0 && total < gather) {
      budget.spend('pull')
      const pages = await transport.pull(
        asking.map((s) => ({ space: s.space, after: cursors.get(s.space) ?? 0 })),
        limit,
      )
      const next: SpaceSync[] = []
      let progressed = false
      for (const result of pages) {
        const s = registry.get(result.space)
        if (!s || !cursors.has(result.space)) continue
        if ('error' in result) {
          fail(s.space, result.error)
          continue
        }
        const page = result.page
        try {
          await registry.checkBackend(s, page.backendId)
        } catch (error) {
          fail(s.space, error)
          // Only a server reset stops a space (until re-upload); a storage failure is retried next round.
          if (error instanceof ServerResetError) s.stopped = error
          collected.delete(s.space)
          continue
        }
        // An event that cannot be opened (no key yet, altered, in clear in an encrypted space) waits on the
        // server with everything after it: the space's cursor stays before it, the rest of the space is kept.
        let opened: Awaited<ReturnType<typeof openPage>>
        try {
          opened = await openPage(ctx, s.space, s.cipher, page.events)
        } catch (error) {
          // The subject key store did not answer: this space waits for the next round, the others go on.
          fail(s.space, error)
          continue
        }
        const { events, system, through, held } = opened
        const before = cursors.get(s.space) ?? 0
        const cursor = Math.max(before, through ?? before)
        collected.get(s.space)?.push(...events)
        for (const e of system) {
          const subject = e.type === SUBJECT_FORGOTTEN ? e.data.subject : undefined
          if (typeof subject !== 'string') continue
          // In an end-to-end encrypted space the server is not trusted: only a forget a member proved erases.
          if (s.cipher && !(await isForgetProven(s.space, subject, e.data.proof, s.cipher))) {
            fail(s.space, unproven(s.space, e))
            continue
          }
          forgetting.push({ space: s.space, subject })
        }
        total += events.length
        cursors.set(s.space, cursor)
        s.head = page.head
        if (cursor > before) progressed = true
        if (held) fail(s.space, held)
        else if (cursor < page.head) next.push(s)
      }
      if (!progressed)
        // An answer that moves no cursor although the server is ahead: asking again would get the same.
        for (const s of next)
          fail(
            s.space,
            new SyncError('NO_PROGRESS', `the server's answer for space '${s.space}' did not move past ${s.cursor}`, {
              space: s.space,
              cursor: cursors.get(s.space) ?? 0,
              head: s.head,
            }),
          )
      stillBehind = progressed ? next : []
      asking = stillBehind
    }
    const batches: SpaceBatch[] = []
    for (const [space, events] of collected) {
      const from = starts.get(space) ?? 0
      const cursor = cursors.get(space) ?? 0
      if (events.length > 0 || cursor !== from) batches.push({ space, from, events, cursor })
    }
    if (batches.some((b) => b.events.length > 0 || b.cursor !== b.from)) {
      let outcome: PullOutcome
      try {
        await noteForgetting(deps.db, forgetting)
        outcome = await applyPull(deps, batches, accepted)
      } catch (error) {
        for (const b of batches) fail(b.space, error)
        throw error
      }
      for (const b of batches) for (const e of b.events) accepted.delete(e.id)
      for (const c of outcome.collisions) {
        fail(c.space, new SyncError('STREAM_IN_OTHER_SPACE', `${c.message}: leave one of the two spaces`, c))
      }
      ctx.onApplied(outcome)
      await eraseNoted(ctx)
    }
    // The database is the truth: a batch dropped (its space left, joined again, or pulled by another tab)
    // did not move the cursor.
    await registry.load()
    behind = stillBehind
      .map((s) => registry.get(s.space))
      .filter((s): s is SpaceSync => s !== undefined && s.stopped === undefined && !failed.has(s.space))
  }
}

/** A `$SubjectForgotten` no member proved, in an end-to-end encrypted space: reported, nothing erased. */
function unproven(space: string, e: StoredWireEvent): SyncError {
  return new SyncError(
    'FORGET_UNPROVEN',
    `the server's forget of subject ${JSON.stringify(e.data.subject)} in encrypted space '${space}' carries no ` +
      'proof from a member: nothing was erased',
    { space, seq: e.seq },
  )
}

/** Makes the erasures of forgotten subjects noted in the database (see forget-local.ts). */
async function eraseNoted(ctx: RoundContext): Promise<void> {
  for (const item of await notedForgetting(ctx.deps.db)) {
    ctx.keyring.forgotten(item.space, item.subject)
    ctx.onForgotten(await forgetLocally({ ...ctx.deps, recordUndo: ctx.recordUndo }, item))
  }
}

async function hasPending(db: Dexie): Promise<boolean> {
  return (await db.table<CommandRecord>('commands').where('status').equals('pending').count()) > 0
}
