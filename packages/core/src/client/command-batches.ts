import type { CommandRequest, CommandResult } from '../runtime/command-types'
import type { Envelope } from './envelope'

/**
 * Commands issued in one task go to the worker in one message. A burst of N `execute` calls would otherwise
 * cost N request messages and N answers, each cloned, dispatched and resolved on both threads; the worker
 * group-commits them anyway. A lone command is sent as it is, one microtask later.
 */

/** Commands per message: about the executor's batch, so one message's answers come back together. */
export const PER_MESSAGE = 256

interface Queued {
  path: string
  request: CommandRequest
  resolve: (result: CommandResult) => void
  reject: (error: unknown) => void
}

/** How batches reach the worker and how their answers are read (the client's own call wrappers). */
export interface BatchTransport {
  /** One command, as `execute` always sent it. */
  one: (path: string, request: CommandRequest) => Promise<CommandResult>
  /**
   * Several commands in one message; an answer per command, in order. Throws synchronously when the message
   * cannot be sent, so that the commands can be sent one by one before anything issued later.
   */
  many: (calls: [string, CommandRequest][]) => Promise<Envelope<CommandResult>[]>
  /** Turns an answer into the result or the error to reject with. */
  unwrap: (answer: Envelope<CommandResult>) => CommandResult
  /** True when a send failed because something in it cannot be cloned (then each is sent alone). */
  isCloneFailure: (error: unknown) => boolean
  /** The error a failed send becomes. */
  mapError: (error: unknown) => unknown
}

/** Queues commands and sends each task's commands together. */
export class CommandBatches {
  private queue: Queued[] = []
  /** Commands issued and not answered yet. */
  private readonly unanswered = new Set<Promise<unknown>>()

  constructor(private readonly transport: BatchTransport) {}

  execute(path: string, request: CommandRequest): Promise<CommandResult> {
    const answer = new Promise<CommandResult>((resolve, reject) => {
      this.queue.push({ path, request, resolve, reject })
      if (this.queue.length === 1) queueMicrotask(() => this.flush())
    })
    this.unanswered.add(answer)
    const answered = () => this.unanswered.delete(answer)
    answer.then(answered, answered)
    return answer
  }

  /**
   * Sends every queued command now and resolves once each command issued has its answer: `close()` waits for it,
   * since the worker does not wait for commands in flight before it answers `close`, and is terminated then.
   */
  async drain(): Promise<void> {
    this.flush()
    await Promise.allSettled([...this.unanswered])
  }

  private flush(): void {
    const queued = this.queue
    this.queue = []
    for (let i = 0; i < queued.length; i += PER_MESSAGE) this.send(queued.slice(i, i + PER_MESSAGE))
  }

  /** Posts `batch` before returning (a later command must not overtake it), then settles each from its answer. */
  private send(batch: Queued[]): void {
    if (batch.length === 1) return void this.sendOne(batch[0] as Queued)
    let answers: Promise<Envelope<CommandResult>[]>
    try {
      answers = this.transport.many(batch.map((q) => [q.path, q.request]))
    } catch (error) {
      // One uncloneable input must fail only its own command: send each alone, still in order.
      if (this.transport.isCloneFailure(error)) {
        for (const q of batch) void this.sendOne(q)
        return
      }
      const failure = this.transport.mapError(error)
      for (const q of batch) q.reject(failure)
      return
    }
    answers.then(
      (answers) =>
        batch.forEach((q, i) => {
          try {
            q.resolve(this.transport.unwrap(answers[i] as Envelope<CommandResult>))
          } catch (error) {
            q.reject(error)
          }
        }),
      (error) => {
        const failure = this.transport.mapError(error)
        for (const q of batch) q.reject(failure)
      },
    )
  }

  private sendOne(q: Queued): Promise<void> {
    return this.transport.one(q.path, q.request).then(q.resolve, q.reject)
  }
}
