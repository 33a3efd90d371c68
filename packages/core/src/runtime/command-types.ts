import type { SpaceChoice } from './space-choice'

/** Optimistic concurrency expectation of a command on its stream. */
export type ExpectedVersion = number | 'any' | 'no_stream' | 'exists'

/** What `execute` takes besides the path. */
export interface CommandRequest<I = unknown> {
  /** Aggregate id: the command runs on stream `<aggregate>:<id>`. */
  id: string
  input: I
  /**
   * The space of the stream, for a new stream (default: the domain's `spaceOf`, else the single joined
   * space). An existing stream keeps its space; naming another is a `ValidationError`.
   */
  space?: string
  /**
   * The space of a new stream when neither `space` nor the domain's `spaceOf` decides it (reactors pass the
   * causing event's space). Never overrides an existing stream's space.
   */
  defaultSpace?: string
  expectedVersion?: ExpectedVersion
  /** Idempotency key; a command id seen before returns the first result and appends nothing. */
  commandId?: string
  correlationId?: string
  causationId?: string
}

/** What a successful command returns. */
export interface CommandResult {
  commandId: string
  stream: string
  /** Stream version after the command. */
  version: number
  events: { id: string; type: string; version: number; position: number }[]
  /** True when the command id had been executed before and this is its stored result. */
  duplicate: boolean
}

/** Environment of the runtime, injectable for deterministic tests. */
export interface RuntimeEnv {
  clientId: string
  /** IDBKeyRange of the IndexedDB in use (injected with it, e.g. fake-indexeddb in Node). */
  keyRange: typeof IDBKeyRange
  now: () => number
  newId: () => string
  recordUndo: boolean
  /** Which spaces a command may write to. */
  spaces: SpaceChoice
}
