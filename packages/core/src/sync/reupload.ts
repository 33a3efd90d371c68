/**
 * Re-uploading after a server reset: each reset space's whole confirmed log, as this device holds it, is pushed
 * to the new server (idempotent per event id, so several devices may do it); then the space starts over on the
 * new server from cursor 0.
 */
import { SyncError } from '../domain/errors'
import type { EventRecord, SpaceRecord } from '../store/records'
import { toWire } from './push-round'
import type { RoundContext } from './round-context'
import type { SpaceSync } from './space-registry'
import { ServerResetError } from './sync-errors'
import { wireBatch } from './wire-form'

/** What `reuploadToServer` did. */
export interface ReuploadResult {
  /** Events pushed to the new server (already confirmed ones; pending ones follow with normal sync). */
  pushed: number
  /** The new server's identity, now adopted. */
  backendId: string
}

/** What a re-upload needs: the round's transport and host, not its budget. */
export type ReuploadContext = Pick<RoundContext, 'transport' | 'deps' | 'accepted' | 'options' | 'keyring'>

/**
 * Re-uploads every space of `spaces` stopped by a server reset. Throws a SyncError `NOT_RESET` when there is
 * none, or the server's error.
 */
export async function reuploadResetSpaces(ctx: ReuploadContext, spaces: Iterable<SpaceSync>): Promise<ReuploadResult> {
  const reset = [...spaces].filter((s) => s.stopped instanceof ServerResetError)
  if (reset.length === 0)
    throw new SyncError('NOT_RESET', 'reuploadToServer: the server was not reset; nothing to re-upload')
  let pushed = 0
  let backendId = ''
  for (const s of reset) {
    const result = await reuploadSpace(ctx, s, s.stopped as ServerResetError)
    pushed += result.pushed
    backendId = result.backendId
  }
  return { pushed, backendId }
}

async function reuploadSpace(ctx: ReuploadContext, s: SpaceSync, reset: ServerResetError): Promise<ReuploadResult> {
  const { transport, deps, accepted, options } = ctx
  const events = deps.db.table<EventRecord>('events')
  const limit = options.pushBatch ?? 500
  let pushed = 0
  let from = 0
  for (;;) {
    const rows = await events
      .where('lpos')
      .above(from)
      .limit(limit * 4)
      .toArray()
    if (rows.length === 0) break
    from = rows[rows.length - 1]?.lpos as number
    const confirmed = rows.filter((e) => e.gpos !== undefined && e.space === s.space)
    for (let i = 0; i < confirmed.length; i += limit) {
      const slice = confirmed.slice(i, i + limit)
      // As pulled (or as pushed): every device re-uploads the same wire form of an event.
      const batch = (
        await wireBatch({ db: deps.db, loaded: deps.loaded, keyring: ctx.keyring }, s.space, s.cipher, slice)
      ).events
      const response = await transport.push(s.space, {
        clientId: deps.clientId,
        events: batch.map(toWire),
      })
      if (response.backendId !== reset.current) throw new ServerResetError(reset.current, response.backendId, s.space)
      pushed += batch.length
    }
  }
  // Start over on the new server: pull everything again (known ids are skipped), then push what is pending.
  await deps.db.table<SpaceRecord>('spaces').update(s.space, { backendId: reset.current, cursor: 0 })
  s.backendId = reset.current
  s.cursor = 0
  s.head = 0
  // What the old server had accepted is not on the new one: push it again.
  accepted.clear()
  s.stopped = undefined
  s.lastError = null
  return { pushed, backendId: reset.current }
}
