/**
 * Pushing one space's pending events in a round: batches of whole commands, in local order, from the space's
 * outbox. A conflict ends the push (the pull rebases, then the round pushes again); a 413 shrinks the batches; a
 * refusal rejects those commands for good and the rest is pushed.
 */
import type { WireEvent } from '../protocol'
import type { EventRecord } from '../store/records'
import { applyPull, type Refusal } from './apply-pull'
import { Outbox } from './outbox'
import { refusalsOf } from './refusals'
import type { RoundContext } from './round-context'
import { sealBatch } from './seal'
import type { SpaceSync } from './space-registry'
import { SyncHttpError } from './transport'

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
        // In an encrypted space the server gets each event's envelope, sealed once (see seal.ts).
        const wire = s.cipher ? await sealBatch(deps.db, s.space, s.cipher, batch) : batch
        budget.spend('push')
        const response = await transport.push(s.space, {
          clientId: deps.clientId,
          events: wire.map(toWire),
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

  /** Rejects refused commands: rolled back locally, journaled as rejected, reported. */
  private async reject(refusals: Map<string, Refusal>): Promise<void> {
    const outcome = await applyPull(this.ctx.deps, [], this.ctx.accepted, refusals)
    this.ctx.onApplied(outcome)
  }
}

/** A local event as the server takes it: in an encrypted space, its sealed type and data. */
export function toWire(e: EventRecord): WireEvent {
  const sealed = e.sealed?.version === e.version ? e.sealed : undefined
  return {
    id: e.id,
    stream: e.stream,
    version: e.version,
    type: sealed?.type ?? e.type,
    data: (sealed?.data ?? e.data) as WireEvent['data'],
    meta: e.meta as unknown as NonNullable<WireEvent['meta']>,
  }
}
