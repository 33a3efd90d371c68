import type { StandardSchemaV1 } from '@standard-schema/spec'
import type { DataOf, EventMap, EventOf, RecordedEvent } from './events'

/** An event a command wants to append: built by `ctx.event`. */
export interface PendingEvent<M extends EventMap = EventMap, K extends keyof M & string = keyof M & string> {
  readonly kind: 'event'
  readonly type: K
  readonly data: DataOf<M[K]>
}

/** A command's rejection: built by `ctx.reject`. */
export interface Rejection<Code extends string = string> {
  readonly kind: 'reject'
  readonly code: Code
  readonly message?: string | undefined
  readonly details?: unknown
}

/** What a command handler returns: events to append (none is fine), or a rejection. */
export type Decision<M extends EventMap = EventMap> =
  | PendingEvent<M>
  | readonly PendingEvent<M>[]
  | Rejection
  | undefined

/** What a command handler can use besides state and input. */
export interface CommandContext<M extends EventMap> {
  /** Builds an event of this aggregate to append. */
  event<K extends keyof M & string>(type: K, data: DataOf<M[K]>): PendingEvent<M, K>
  /** Rejects the command with an app-defined code; nothing is appended. */
  reject<const Code extends string>(code: Code, message?: string, details?: unknown): Rejection<Code>
  /** The aggregate id the command targets. */
  readonly id: string
  /** The current version of the stream (0 if it does not exist yet). */
  readonly version: number
  /** Milliseconds since the epoch, from the runtime's (injectable) clock. */
  readonly now: number
  readonly commandId: string
}

/** A command handler: pure, `(state, input, ctx) => events | rejection`. */
export type CommandHandler<S, M extends EventMap, I> = (state: S, input: I, ctx: CommandContext<M>) => Decision<M>

/** Exhaustive map of event type → state transition. */
export type Evolvers<S, M extends EventMap> = {
  [K in keyof M & string]: (state: S, event: EventOf<M, K>) => S
}

/** Conflict policy when a pending command's stream changed on the server: see DESIGN.md §4. */
export type ConflictPolicy =
  | 'rebase'
  | 'reject'
  | ((conflict: { command: string; input: unknown; theirs: RecordedEvent[] }) => 'rebase' | 'reject')

/** Options of {@link defineAggregate}. */
export interface AggregateOptions<Name extends string, M extends EventMap, S, C> {
  /** Stream prefix and first part of command paths: `card` → streams `card:<id>`, commands `card.<name>`. */
  name: Name
  events: M
  initialState: () => S
  /** One transition per event type; missing ones are a type error. */
  evolve: Evolvers<NoInfer<S>, M>
  /** Commands by name. Annotate `input`; `state` and `ctx` are inferred. */
  commands: C & { [K in keyof C]: CommandHandler<NoInfer<S>, M, never> }
  /**
   * Optional runtime schemas of command inputs, by command name (any Standard Schema validator: zod 4,
   * valibot, arktype). The handler receives the schema's output. Keep the handler's `input` annotation in
   * line with the schema (a schema keyed by a name that is not a command is an error at definition time).
   */
  inputs?: Readonly<Record<string, StandardSchemaV1>>
  conflict?: ConflictPolicy
  snapshot?: { every: number; version: number }
}

/** An aggregate definition. */
export interface Aggregate<
  Name extends string = string,
  M extends EventMap = EventMap,
  S = unknown,
  C extends Record<string, unknown> = Record<string, unknown>,
> {
  readonly name: Name
  readonly events: M
  readonly initialState: () => S
  readonly evolve: Evolvers<S, M>
  readonly commands: C
  readonly inputs: Readonly<Record<string, StandardSchemaV1>>
  readonly conflict: ConflictPolicy
  readonly snapshot?: { every: number; version: number } | undefined
}

/** Any aggregate, whatever its types; what domains and projections accept. */
export interface AnyAggregate {
  readonly name: string
  readonly events: EventMap
  readonly initialState: () => unknown
  readonly evolve: object
  readonly commands: Record<string, unknown>
  readonly inputs: object
  readonly conflict: ConflictPolicy
  readonly snapshot?: { every: number; version: number } | undefined
}

/** The input type of a command handler. */
export type InputOf<H> = H extends (state: never, input: infer I, ctx: never) => unknown ? I : never

/** The rejection codes a command handler can return. */
export type RejectionCodeOf<H> = H extends (...args: never[]) => infer R
  ? Extract<R, Rejection> extends Rejection<infer C>
    ? C
    : never
  : never

/** The state type of an aggregate. */
export type StateOf<A> = A extends Aggregate<string, EventMap, infer S> ? S : never

/**
 * Defines an aggregate in the Decider shape: `initialState`, an exhaustive `evolve` map and pure `commands`.
 *
 * @example
 * const card = defineAggregate({
 *   name: 'card', events: cardEvents,
 *   initialState: () => ({ title: '' }),
 *   evolve: { CardRenamed: (s, e) => ({ title: e.data.title }) },
 *   commands: { rename: (s, input: { title: string }, ctx) => ctx.event('CardRenamed', input) },
 * })
 */
export function defineAggregate<const Name extends string, M extends EventMap, S, C extends Record<string, unknown>>(
  options: AggregateOptions<Name, M, S, C>,
): Aggregate<Name, M, S, C> {
  if (!/^[A-Za-z][A-Za-z0-9_-]*$/.test(options.name)) {
    throw new TypeError(`aggregate name '${options.name}' must match /^[A-Za-z][A-Za-z0-9_-]*$/`)
  }
  for (const name of Object.keys(options.inputs ?? {})) {
    if (!Object.hasOwn(options.commands, name)) {
      throw new TypeError(`aggregate '${options.name}': inputs has a schema for '${name}', which is not a command`)
    }
  }
  for (const type of Object.keys(options.events)) {
    if (typeof (options.evolve as Record<string, unknown>)[type] !== 'function') {
      throw new TypeError(`aggregate '${options.name}': evolve has no transition for event '${type}'`)
    }
  }
  return {
    name: options.name,
    events: options.events,
    initialState: options.initialState,
    evolve: options.evolve as Evolvers<S, M>,
    commands: options.commands,
    inputs: options.inputs ?? {},
    conflict: options.conflict ?? 'rebase',
    snapshot: options.snapshot,
  }
}

/** Builds the command context handed to handlers. Shared by the runtime and the testing kit. */
export function commandContext<M extends EventMap>(info: {
  id: string
  version: number
  now: number
  commandId: string
}): CommandContext<M> {
  return {
    ...info,
    event: (type, data) => ({ kind: 'event', type, data }),
    reject: (code, message, details) => ({ kind: 'reject', code, message, details }),
  }
}

/** Normalizes a decision into a list of events, or a rejection. */
export function normalizeDecision(decision: unknown): PendingEvent[] | Rejection {
  if (decision === undefined) return []
  if (Array.isArray(decision)) {
    for (const d of decision) {
      if (!isPendingEvent(d))
        throw new TypeError('a command returned an array that holds something other than ctx.event(...)')
    }
    return decision as PendingEvent[]
  }
  if (isPendingEvent(decision)) return [decision]
  if (typeof decision === 'object' && decision !== null && (decision as Rejection).kind === 'reject') {
    return decision as Rejection
  }
  throw new TypeError('a command must return ctx.event(...), an array of them, ctx.reject(...) or nothing')
}

function isPendingEvent(value: unknown): value is PendingEvent {
  return typeof value === 'object' && value !== null && (value as PendingEvent).kind === 'event'
}
