/**
 * Pushing one space's pending events in a round: batches of whole commands, in local order, from the space's
 * outbox. A conflict ends the push (the pull rebases, then the round pushes again); a 413 shrinks the batches; a
 * refusal rejects those commands for good and the rest is pushed.
 */
import type { WireEvent } from '../protocol'
import type { EventRecord } from '../store/records'
import { applyPull, type Refusal } from './apply-pull'
import { erasedHere, forgetLocally } from './forget-local'
import { Outbox } from './outbox'
import { refusalsOf } from './refusals'
import type { RoundContext } from './round-context'
import type { SpaceSync } from './space-registry'
import { SyncHttpError } from './transport'
import { wireBatch } from './wire-form'

export class Pusher {
  /** One outbox per space, kept across rounds. */
  private readonly outboxes = new Map<string, Outbox>()

  constructor(private readonly ctx: RoundContext) {}

  private outboxOf(space: string): Outbox {
    let outbox = this.outboxes.get(space)
    if (!outbox) {
      outbox = new Outbox(this.ctx.deps.db, this.ctx.accepted, this.ctx.options.pushBatch ?? 500, space)
      this.outboxes.set(space, outbox)
    }
    return outbox
  }

  /** Pushes everything pending in `s`; `conflict` when the server holds newer events on a stream (pull first). */
  async pushAll(s: SpaceSync): Promise<'done' | 'conflict'> {
    const { transport, deps, accepted, registry, budget } = this.ctx
    // A 413 shrinks the batches for this round only: the next round tries the configured size again.
    const outbox = this.outboxOf(s.space)
    await outbox.restart()
    for (;;) {
      const batch = await outbox.next()
      if (batch.length === 0) return 'done'
      try {
        // Personal fields sealed with their subjects' keys, the data with the space key (see wire-form.ts).
        const wire = await wireBatch(this.wireDeps(), s.space, s.cipher, batch)
        if (wire.refused.size > 0) {
          await this.reject(wire.refused)
          await outbox.rewind()
          continue
        }
        // Data of a subject forgotten meanwhile: pushed redacted, and erased here too. In an end-to-end encrypted
        // space the key store is not trusted: only a subject whose proven forget was erased here before.
        for (const subject of wire.forgotten)
          if (!s.cipher || (await erasedHere(deps.db, s.space, subject))) await this.forget(s.space, subject)
        budget.spend('push')
        const response = await transport.push(s.space, {
          clientId: deps.clientId,
          events: wire.events.map(toWire),
        })
        await registry.checkBackend(s, response.backendId)
        for (const a of response.accepted) accepted.add(a.id)
        s.head = Math.max(s.head, response.head)
        outbox.sent(batch)
      } catch (error) {
        if (!(error instanceof SyncHttpError)) throw error
        if (error.status === 409 && error.body.code === 'CONFLICT') return 'conflict'
        // Too large for the server: send fewer commands per batch (still whole commands), down to one.
        if (error.status === 413 && !error.body.refused?.length && outbox.shrink(batch)) continue
        const refusals = refusalsOf(error, batch)
        if (refusals.size === 0) throw error
        // Refused for good: those commands become durable rejections (rolled back locally); push the rest.
        await this.reject(refusals)
        await outbox.rewind()
      }
    }
  }

  private wireDeps() {
    return { db: this.ctx.deps.db, loaded: this.ctx.deps.loaded, keyring: this.ctx.keyring }
  }

  /** Erases a forgotten subject's data here (the server told us while we pushed it). */
  private async forget(space: string, subject: string): Promise<void> {
    this.ctx.keyring.forgotten(space, subject)
    this.ctx.onForgotten(await forgetLocally({ ...this.ctx.deps, recordUndo: this.ctx.recordUndo }, { space, subject }))
  }

  /** Rejects refused commands: rolled back locally, journaled as rejected, reported. */
  private async reject(refusals: Map<string, Refusal>): Promise<void> {
    const outcome = await applyPull(this.ctx.deps, [], this.ctx.accepted, refusals)
    this.ctx.onApplied(outcome)
  }
}

/** A local event as the server takes it: its wire form when it has one (encrypted space, personal fields). */
export function toWire(e: EventRecord): WireEvent {
  const wire = e.wire?.version === e.version ? e.wire : undefined
  return {
    id: e.id,
    stream: e.stream,
    version: e.version,
    type: wire?.type ?? e.type,
    data: (wire?.data ?? e.data) as WireEvent['data'],
    meta: e.meta as unknown as NonNullable<WireEvent['meta']>,
  }
}
