import type { AnyAggregate, InputOf, RejectionCodeOf } from './aggregate'
import type { AnyProjection } from './projection'
import type { Reactor } from './reactor'

/** A whole domain: aggregates and projections by name. */
export interface Domain<
  A extends Record<string, AnyAggregate> = Record<string, AnyAggregate>,
  P extends Record<string, AnyProjection> = Record<string, AnyProjection>,
> {
  readonly aggregates: A
  readonly projections: P
  /** Reactors and process managers, run in the worker after commit. */
  readonly reactors: Readonly<Record<string, Reactor>>
  /**
   * The space a command on a *new* stream goes to when the command does not name one (see {@link SpaceOf}).
   * A stream that exists keeps its space: a stream never moves.
   */
  readonly spaceOf?: SpaceOf | undefined
}

/** What {@link SpaceOf} is told about a command. */
export interface SpaceOfCommand {
  /** `aggregate.command`, e.g. `'card.add'`. */
  path: string
  aggregate: string
  /** The aggregate id. */
  id: string
  input: unknown
}

/**
 * Derives the space of a command on a new stream from the command (e.g. `input.board`); `undefined` falls back
 * to the default (the one joined space). Pure: it runs in the worker and, for validation, on the server.
 */
export type SpaceOf = (command: SpaceOfCommand) => string | undefined

/** Any domain, for code that does not care about its types. */
export type AnyDomain = Domain<Record<string, AnyAggregate>, Record<string, AnyProjection>>

/**
 * Defines the domain. Keys must equal the names given to the aggregates and projections, so that paths
 * such as `'card.move'` and `'board.byColumn'` are the same everywhere.
 */
export function defineDomain<
  const A extends Record<string, AnyAggregate>,
  const P extends Record<string, AnyProjection> = Record<never, never>,
>(domain: {
  aggregates: A
  projections?: P
  reactors?: Readonly<Record<string, Reactor>>
  /** The space of a command on a new stream that does not name one (default: the single joined space). */
  spaceOf?: SpaceOf
}): Domain<A, P> {
  for (const [key, agg] of Object.entries(domain.aggregates)) {
    if (key !== agg.name) throw new TypeError(`aggregate '${agg.name}' is registered under the key '${key}'`)
  }
  const projections = (domain.projections ?? {}) as P
  for (const [key, p] of Object.entries(projections)) {
    if (key !== p.name) throw new TypeError(`projection '${p.name}' is registered under the key '${key}'`)
    for (const source of p.from) {
      if (!(source in domain.aggregates)) {
        throw new TypeError(`projection '${p.name}' reads aggregate '${source}' that the domain does not define`)
      }
    }
  }
  const reactors = domain.reactors ?? {}
  for (const [key, r] of Object.entries(reactors)) {
    if (key !== r.name) throw new TypeError(`reactor '${r.name}' is registered under the key '${key}'`)
  }
  return domain.spaceOf
    ? { aggregates: domain.aggregates, projections, reactors, spaceOf: domain.spaceOf }
    : { aggregates: domain.aggregates, projections, reactors }
}

type AggregatesOf<D> = D extends Domain<infer A, Record<string, AnyProjection>> ? A : never
type ProjectionsOf<D> = D extends Domain<Record<string, AnyAggregate>, infer P> ? P : never

/** Every command path of a domain: `'card.move' | 'board.addCard' | ...`. */
export type CommandPath<D> = {
  [A in keyof AggregatesOf<D> & string]: `${A}.${keyof AggregatesOf<D>[A]['commands'] & string}`
}[keyof AggregatesOf<D> & string]

/** Every query path of a domain: `'board.byColumn' | ...`. */
export type QueryPath<D> = {
  [P in keyof ProjectionsOf<D> & string]: `${P}.${keyof ProjectionsOf<D>[P]['queries'] & string}`
}[keyof ProjectionsOf<D> & string]

type HandlerAt<D, Path> = Path extends `${infer A}.${infer C}`
  ? A extends keyof AggregatesOf<D>
    ? C extends keyof AggregatesOf<D>[A]['commands']
      ? AggregatesOf<D>[A]['commands'][C]
      : never
    : never
  : never

type QueryAt<D, Path> = Path extends `${infer P}.${infer Q}`
  ? P extends keyof ProjectionsOf<D>
    ? Q extends keyof ProjectionsOf<D>[P]['queries']
      ? ProjectionsOf<D>[P]['queries'][Q]
      : never
    : never
  : never

/** The input type of the command at `Path`. */
export type CommandInput<D, Path extends CommandPath<D>> = InputOf<HandlerAt<D, Path>>

/** The rejection codes the command at `Path` can produce. */
export type CommandRejectionCode<D, Path extends CommandPath<D>> = RejectionCodeOf<HandlerAt<D, Path>>

/** The argument type of the query at `Path` (`void` when it takes none). */
export type QueryArg<D, Path extends QueryPath<D>> =
  QueryAt<D, Path> extends (table: never, arg: infer A) => unknown ? (unknown extends A ? undefined : A) : never

/** The result type of the query at `Path`. */
export type QueryResult<D, Path extends QueryPath<D>> =
  QueryAt<D, Path> extends (...args: never[]) => Promise<infer R> ? R : never
