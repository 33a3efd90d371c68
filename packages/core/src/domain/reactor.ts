import type { AnyAggregate } from './aggregate'
import type { DataOf, RecordedEvent } from './events'

/** `'aggregate.EventType'` for every event of the given aggregates. */
export type QualifiedEventType<Sources extends readonly AnyAggregate[]> = QualifiedOf<Sources[number]>

type QualifiedOf<A> = A extends AnyAggregate ? `${A['name']}.${keyof A['events'] & string}` : never

/** The recorded event behind a qualified type. */
export type QualifiedEvent<
  Sources extends readonly AnyAggregate[],
  Q extends string,
> = Q extends `${infer A}.${infer T}`
  ? Extract<Sources[number], { name: A }> extends infer Agg
    ? Agg extends AnyAggregate
      ? T extends keyof Agg['events'] & string
        ? RecordedEvent<T, DataOf<Agg['events'][T]>>
        : never
      : never
    : never
  : never

/** A command a reactor or process manager issues. Its id is derived from the causing event: never twice. */
export interface IssuedCommand {
  path: string
  id: string
  input: unknown
}

/** What reactor handlers can do. */
export interface ReactorContext {
  /**
   * Executes a command. Its command id is derived from the causing event (and the call's index), so a
   * re-delivered event never executes it twice. Resolves with the result, rejects like `client.execute`.
   */
  execute(path: string, request: { id: string; input: unknown }): Promise<unknown>
  /** Name of the reactor. */
  readonly reactor: string
}

/** Error policy of a reactor: stop (and report), skip the event (and report), or retry with backoff. */
export type ReactorErrorPolicy = 'stop' | 'skip' | 'retry'

/** Options of {@link defineReactor}. */
export interface ReactorOptions<Name extends string, Sources extends readonly AnyAggregate[]> {
  name: Name
  /** Aggregates whose events the reactor may handle. */
  from: Sources
  /** Handlers by `'aggregate.EventType'`. Side effects go here: they run after commit, at least once. */
  on: {
    [Q in QualifiedEventType<Sources>]?: (
      event: QualifiedEvent<Sources, Q>,
      ctx: ReactorContext,
    ) => void | Promise<void>
  }
  /** Where a new reactor starts: the whole log, or only events after it was added (default `'end'`: no flood). */
  startAt?: 'beginning' | 'end'
  /** Default `'stop'`: a failing handler stops the reactor and reports it (never silently dead). */
  onError?: ReactorErrorPolicy
  /**
   * `false` (default): react to local events at once. `true`: only once the server confirmed them (in server
   * order) — what side effects that must not happen for a command that might be rejected want.
   */
  confirmed?: boolean
}

/** A reactor definition. */
export interface Reactor<Name extends string = string> {
  readonly kind: 'reactor'
  readonly name: Name
  readonly on: Readonly<
    Record<string, ((event: RecordedEvent, ctx: ReactorContext) => void | Promise<void>) | undefined>
  >
  readonly startAt: 'beginning' | 'end'
  readonly onError: ReactorErrorPolicy
  readonly confirmed: boolean
  /** For process managers: the state handling around `on`. */
  readonly process?: ProcessDefinition | undefined
}

/**
 * Defines an event handler that runs in the worker after commit, checkpointed, at least once.
 *
 * @example
 * defineReactor({
 *   name: 'autoArchive', from: [board],
 *   on: { 'board.CardMoved': async (e, ctx) => { if (e.data.to === 'done') await ctx.execute('board.archiveCard', { id: e.streamId, input: { cardId: e.data.cardId } }) } },
 * })
 */
export function defineReactor<const Name extends string, const Sources extends readonly AnyAggregate[]>(
  options: ReactorOptions<Name, Sources>,
): Reactor<Name> {
  checkName(options.name)
  return {
    kind: 'reactor',
    name: options.name,
    on: options.on as Reactor['on'],
    startAt: options.startAt ?? 'end',
    onError: options.onError ?? 'stop',
    confirmed: options.confirmed ?? false,
  }
}

/** What a process manager's handler returns: its new state and the commands to issue. */
export interface ProcessStep<S> {
  state: S
  commands?: IssuedCommand[]
}

/** Options of {@link defineProcess}. */
export interface ProcessOptions<Name extends string, Sources extends readonly AnyAggregate[], S> {
  name: Name
  from: Sources
  initialState: () => S
  /** Which process instance an event belongs to (e.g. the card id). */
  correlate: { [Q in QualifiedEventType<Sources>]?: (event: QualifiedEvent<Sources, Q>) => string }
  /** Pure deciders: `(state, event) => { state, commands }`. */
  on: { [Q in QualifiedEventType<Sources>]?: (state: S, event: QualifiedEvent<Sources, Q>) => ProcessStep<S> }
  startAt?: 'beginning' | 'end'
  onError?: ReactorErrorPolicy
  confirmed?: boolean
}

/** The state-handling part of a process manager. */
export interface ProcessDefinition {
  initialState: () => unknown
  correlate: Readonly<Record<string, ((event: RecordedEvent) => string) | undefined>>
  decide: Readonly<Record<string, ((state: unknown, event: RecordedEvent) => ProcessStep<unknown>) | undefined>>
}

/**
 * Defines a process manager (saga) as a decider over events: per correlation key it keeps its own state and
 * answers each event with a new state and commands to issue (ids derived from the event: never twice).
 */
export function defineProcess<const Name extends string, const Sources extends readonly AnyAggregate[], S>(
  options: ProcessOptions<Name, Sources, S>,
): Reactor<Name> {
  checkName(options.name)
  const process: ProcessDefinition = {
    initialState: options.initialState,
    correlate: options.correlate as ProcessDefinition['correlate'],
    decide: options.on as ProcessDefinition['decide'],
  }
  const on: Record<string, () => void> = {}
  for (const type of Object.keys(options.on)) on[type] = () => {}
  return {
    kind: 'reactor',
    name: options.name,
    on,
    startAt: options.startAt ?? 'end',
    onError: options.onError ?? 'stop',
    confirmed: options.confirmed ?? false,
    process,
  }
}

function checkName(name: string): void {
  if (!/^[A-Za-z][A-Za-z0-9_-]*$/.test(name))
    throw new TypeError(`reactor name '${name}' must match /^[A-Za-z][A-Za-z0-9_-]*$/`)
}
