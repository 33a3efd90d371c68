import type { Transaction } from 'dexie'
import type { EventRecord } from '../store/records'
import type { BatchContext, Job } from './batch'

/** Batches of at most this many commands run on the expectation (larger ones spread their read round trip). */
const AT_MOST = 8

/** What a batch ran on before its reads were back: to be checked against them. */
export interface Guess {
  nextPosition: number
  heads: ReadonlyMap<string, EventRecord | undefined>
  joined: ReadonlySet<string> | undefined
}

/**
 * What the executor expects the up-front reads of its next batch transaction to return, as its last committed
 * batch left the log: the next local position, the joined spaces, the head of each stream it met. A small batch
 * runs on these at once — its writes queued behind the reads that check them — instead of waiting a round trip
 * for the reads. If any read differs (another tab, a pull, a rebase or leaving a space wrote the log meanwhile),
 * the transaction is aborted before it can commit and the batch runs again on what it read. A stream not met
 * is expected to have no events: new streams are the common case; an existing one costs one aborted attempt.
 */
export class Expectation {
  private readonly heads = new Map<string, EventRecord>()
  private next: { nextPosition: number; joined: ReadonlySet<string> | undefined } | undefined

  constructor(private readonly capacity = 1000) {}

  /** A context for `jobs` built from the expectation, or undefined when the batch must wait for its reads. */
  contextFor(tx: Transaction, streams: readonly string[], jobs: readonly Job[]): BatchContext | undefined {
    if (!this.next || jobs.length > AT_MOST) return undefined
    // A command id needs the journal's answer (an earlier outcome) before anything is decided.
    if (jobs.some((j) => j.request.commandId !== undefined)) return undefined
    return {
      tx,
      heads: new Map(streams.map((s) => [s, this.heads.get(s)])),
      previous: new Map(),
      nextPosition: this.next.nextPosition,
      failure: undefined,
      spaces: new Map(),
      appended: new Map(),
      joined: this.next.joined,
      wrote: false,
    }
  }

  /** After a batch committed: what it read and what it appended is what the next batch should find. */
  learn(batch: BatchContext): void {
    for (const [stream, head] of batch.heads) this.remember(stream, head)
    for (const [stream, head] of batch.appended) this.remember(stream, head)
    this.next = { nextPosition: batch.nextPosition, joined: batch.joined }
  }

  private remember(stream: string, head: EventRecord | undefined): void {
    this.heads.delete(stream)
    if (!head) return
    this.heads.set(stream, head)
    if (this.heads.size > this.capacity) {
      const oldest = this.heads.keys().next().value
      if (oldest !== undefined) this.heads.delete(oldest)
    }
  }
}

/** Thrown in a batch transaction whose reads did not confirm the expectation it ran on. */
export class ExpectationMissed extends Error {
  constructor() {
    super('the log changed since the last batch')
  }
}

/** The guess a context was built on (its next position moves as the batch appends). */
export function guessOf(context: BatchContext): Guess {
  return { nextPosition: context.nextPosition, heads: context.heads, joined: context.joined }
}

/**
 * True when the reads agree with the guess in everything a batch decides on: the next position, the joined
 * spaces, and per stream its head's event id and position (a rebase can replace a pending v3 with a foreign
 * v3), space, and whether it is confirmed.
 */
export function agrees(guess: Guess, read: BatchContext): boolean {
  if (guess.nextPosition !== read.nextPosition) return false
  if (!sameSet(guess.joined, read.joined)) return false
  for (const [stream, head] of guess.heads) if (!sameHead(head, read.heads.get(stream))) return false
  return true
}

function sameHead(a: EventRecord | undefined, b: EventRecord | undefined): boolean {
  if (!a || !b) return a === b
  return a.id === b.id && a.lpos === b.lpos && a.space === b.space && (a.gpos === undefined) === (b.gpos === undefined)
}

function sameSet(a: ReadonlySet<string> | undefined, b: ReadonlySet<string> | undefined): boolean {
  if (!a || !b) return a === b
  return a.size === b.size && [...a].every((x) => b.has(x))
}
