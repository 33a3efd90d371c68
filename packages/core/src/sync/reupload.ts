/**
 * Re-uploading after a server reset: each reset space's whole confirmed log, as this device holds it, is pushed
 * to the new server (idempotent per event id, so several devices may do it); then the space starts over on the
 * new server from cursor 0.
 */
import { SyncError } from '../domain/errors'
import type { PushResponse } from '../protocol'
import type { EventRecord, SpaceRecord } from '../store/records'
import { personalOf } from './personal-fields'
import { toWire } from './push-round'
import type { RoundContext } from './round-context'
import type { SpaceSync } from './space-registry'
import { ServerResetError } from './sync-errors'
import { SyncHttpError } from './transport'
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
  // Subject keys of the old server's key store: the new server has its own.
  ctx.keyring.dropSpace(s.space)
  for (;;) {
    const rows = await events
      .where('lpos')
      .above(from)
      .limit(limit * 4)
      .toArray()
    if (rows.length === 0) break
    from = rows[rows.length - 1]?.lpos as number
    // Personal fields are sealed again, with the new server's subject keys: the old keys went with the old
    // server. Everything else is re-uploaded as pulled (or as pushed): every device sends the same wire form.
    const confirmed = rows
      .filter((e) => e.gpos !== undefined && e.space === s.space)
      .map((e) => (personalOf(deps.loaded, e) ? withoutWire(e) : e))
    for (let i = 0; i < confirmed.length; i += limit) {
      const slice = confirmed.slice(i, i + limit)
      let batch = (
        await wireBatch({ db: deps.db, loaded: deps.loaded, keyring: ctx.keyring }, s.space, s.cipher, slice)
      ).events
      while (batch.length > 0) {
        let response: PushResponse
        try {
          response = await transport.push(s.space, { clientId: deps.clientId, events: batch.map(toWire) })
        } catch (error) {
          // Another device re-uploaded these first, sealed anew (personal fields): theirs stands, ours is the same
          // data (the pull compares it opened).
          const taken = reuploadedByOthers(error)
          if (taken.size === 0) throw error
          batch = batch.filter((e) => !taken.has(e.id))
          continue
        }
        if (response.backendId !== reset.current) throw new ServerResetError(reset.current, response.backendId, s.space)
        pushed += batch.length
        break
      }
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

function withoutWire(e: EventRecord): EventRecord {
  const { wire: _wire, ...rest } = e
  return rest
}

/** The event ids a re-upload's push was refused as `ID_REUSED` (already there with other content). */
function reuploadedByOthers(error: unknown): Set<string> {
  if (!(error instanceof SyncHttpError) || error.body.code !== 'ID_REUSED') return new Set()
  return new Set((error.body.refused ?? []).filter((r) => r.code === 'ID_REUSED').map((r) => r.id))
}
