import type {
  AnyDomain,
  CairnClient,
  CairnError,
  CairnErrorName,
  CommandInput,
  CommandPath,
  CommandRejectionCode,
  CommandRequest,
  QueryArg,
  QueryPath,
  QueryResult,
} from '@cairn/core'

/**
 * Register your domain once to type every hook by path, with no generics at the call site:
 *
 * ```ts
 * declare module '@cairn/react' {
 *   interface Register {
 *     domain: typeof domain
 *   }
 * }
 * ```
 *
 * Without registration the hooks accept any path, with inputs, arguments and results typed `unknown`.
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled in by module augmentation
export interface Register {}

/** The registered domain, or `AnyDomain` when none is registered. */
export type RegisteredDomain<R = Register> = R extends { domain: infer D extends AnyDomain } ? D : AnyDomain

/** A client of the registered domain; without registration, a client of any domain. */
export type RegisteredClient<R = Register> = R extends { domain: infer D extends AnyDomain }
  ? CairnClient<D>
  : Record<keyof CairnClient<AnyDomain>, (...args: never[]) => unknown>

/** Command paths of the registered domain (`string` without registration). */
export type RegisteredCommandPath<R = Register> = R extends { domain: infer D } ? CommandPath<D> : string

/** Query paths of the registered domain (`string` without registration). */
export type RegisteredQueryPath<R = Register> = R extends { domain: infer D } ? QueryPath<D> : string

/** Input of the command at `P`. */
export type CommandInputAt<P extends string, R = Register> = R extends { domain: infer D }
  ? P extends CommandPath<D>
    ? CommandInput<D, P>
    : never
  : unknown

/** Rejection codes of the command at `P` (`string` without registration). */
export type RejectionCodeAt<P extends string, R = Register> = R extends { domain: infer D }
  ? P extends CommandPath<D>
    ? CommandRejectionCode<D, P>
    : never
  : string

/** Argument of the query at `P` (`undefined` for a query that takes none). */
export type QueryArgAt<P extends string, R = Register> = R extends { domain: infer D }
  ? P extends QueryPath<D>
    ? QueryArg<D, P>
    : never
  : unknown

/** Result of the query at `P`. */
export type QueryResultAt<P extends string, R = Register> = R extends { domain: infer D }
  ? P extends QueryPath<D>
    ? QueryResult<D, P>
    : never
  : unknown

/** What `mutate` takes for the command at `P`: the aggregate `id`, the typed `input`, and optional concurrency and idempotency keys. */
export type CommandRequestAt<P extends string, R = Register> = CommandRequest<CommandInputAt<P, R>>

/** The command's decider said no: `code` is one of the app's rejection codes for this command. */
export type CommandRejectedError<Code extends string> = CairnError & {
  readonly name: 'CommandRejected'
  readonly code: Code
}

/** Any other Cairn failure: validation, concurrency, storage, unknown path, handler error, closed client. */
export type CommandFailure = CairnError & { readonly name: Exclude<CairnErrorName, 'CommandRejected'> }

/** The error of the command at `P`: narrow on `name`, then on `code`. */
export type CommandError<P extends string, R = Register> = CommandRejectedError<RejectionCodeAt<P, R>> | CommandFailure

/** The error of a query: `UnknownPathError`, `ValidationError`, `StorageError`, ... */
export type QueryError = CairnError
