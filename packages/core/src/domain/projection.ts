import type { AnyAggregate } from './aggregate'
import type { DataOf, RecordedEvent } from './events'
import type { IndexKey, ReadTable } from './read-table'

/** The write API projection handlers receive. Every write is recorded so that it can be undone. */
export interface ProjectionTx<Row> {
  get(key: IndexKey): Promise<Row | undefined>
  /** Inserts or replaces a row. */
  put(row: Row): Promise<void>
  /** Merges `changes` into the row, or replaces it with `fn(row)`; returns false when the row does not exist. */
  update(key: IndexKey, changes: Partial<Row> | ((row: Row) => Row)): Promise<boolean>
  delete(key: IndexKey): Promise<void>
  /** Read access to the whole table (index lookups). */
  readonly table: ReadTable<Row>
}

/** Table declaration of a projection: primary key and secondary indexes, in Dexie syntax. */
export interface TableSpec<Row> {
  /** Primary key: a property of the row, or a compound `[a+b]`. */
  key: (keyof Row & string) | `[${string}]`
  /** Secondary indexes: `'column'`, `'[board+column]'`, `'*tags'` (multi-entry), `'&slug'` (unique). */
  indexes?: readonly string[]
}

/** A table declaration carrying its row type; build it with {@link table}. */
export interface TableDef<Row> extends TableSpec<Row> {
  /** Phantom field carrying the row type. */
  readonly __row?: Row
}

/** Declares a read-model table with its row type: `table<CardRow>({ key: 'id', indexes: ['column'] })`. */
export function table<Row>(spec: TableSpec<Row>): TableDef<Row> {
  return { key: spec.key, indexes: spec.indexes ?? [] }
}

/** The union of recorded events of one aggregate. */
type EventsOfAggregate<A> = A extends AnyAggregate
  ? { [K in keyof A['events'] & string]: RecordedEvent<K, DataOf<A['events'][K]>> }[keyof A['events'] & string]
  : never

/** The union of recorded events of the source aggregates. */
export type SourceEvent<Sources extends readonly AnyAggregate[]> = EventsOfAggregate<Sources[number]>

/** Handlers by event type, narrowed. */
export type ProjectionHandlers<Row, Sources extends readonly AnyAggregate[]> = {
  [T in SourceEvent<Sources>['type'] & string]?: (
    tx: ProjectionTx<Row>,
    event: Extract<SourceEvent<Sources>, { type: T }>,
  ) => void | Promise<void>
}

/** A named query: `(table, arg) => result`. Reads only; re-run live when the rows it read change. */
export type QueryFn<Row, Arg = never, Result = unknown> = (table: ReadTable<Row>, arg: Arg) => Promise<Result>

/** Options of {@link defineProjection}. */
export interface ProjectionOptions<Name extends string, Row, Sources extends readonly AnyAggregate[], Q> {
  name: Name
  /** Bump it to rebuild the read model from the log on the next start. */
  version: number
  /** Aggregates whose events this projection reads. */
  from: Sources
  table: TableDef<Row>
  on: ProjectionHandlers<Row, Sources>
  /** Named queries: `(table, arg) => Promise<result>`. */
  queries?: Q & { [K in keyof Q]: QueryFn<Row, never> }
  /**
   * `inline` (default): rows are written in the same transaction as the events.
   * `async`: the projection catches up right after each commit.
   */
  mode?: 'inline' | 'async'
  /**
   * `space` (default): each row is written by events of one space (rows carry it as `space`), so leaving a space
   * deletes its rows. `all`: rows combine events of several spaces (totals across boards...); leaving a space
   * rebuilds this read model from the remaining log.
   */
  scope?: 'space' | 'all'
}

/** A projection definition. */
export interface Projection<
  Name extends string = string,
  Row = unknown,
  Q extends Record<string, unknown> = Record<string, unknown>,
> {
  readonly name: Name
  readonly version: number
  readonly from: readonly string[]
  readonly table: TableDef<Row>
  readonly on: Readonly<
    Record<string, ((tx: ProjectionTx<Row>, event: RecordedEvent) => void | Promise<void>) | undefined>
  >
  readonly queries: Q
  readonly mode: 'inline' | 'async'
  readonly scope: 'space' | 'all'
}

/** Any projection, whatever its types; what domains accept. */
export interface AnyProjection {
  readonly name: string
  readonly version: number
  readonly from: readonly string[]
  readonly table: { readonly key: string; readonly indexes?: readonly string[] | undefined }
  readonly on: object
  readonly queries: Record<string, unknown>
  readonly mode: 'inline' | 'async'
  readonly scope?: 'space' | 'all' | undefined
}

/**
 * Defines a projection: a read model table kept current from the events of `from`, with named queries.
 */
export function defineProjection<
  const Name extends string,
  Row,
  const Sources extends readonly AnyAggregate[],
  Q extends Record<string, unknown> = Record<never, never>,
>(options: ProjectionOptions<Name, Row, Sources, Q>): Projection<Name, Row, Q> {
  if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(options.name)) {
    throw new TypeError(`projection name '${options.name}' must match /^[A-Za-z][A-Za-z0-9_]*$/`)
  }
  if (!Number.isInteger(options.version) || options.version < 1) {
    throw new TypeError(`projection '${options.name}': version must be an integer >= 1`)
  }
  return {
    name: options.name,
    version: options.version,
    from: options.from.map((a) => a.name),
    table: options.table,
    on: options.on as Projection<Name, Row, Q>['on'],
    queries: (options.queries ?? {}) as Q,
    mode: options.mode ?? 'inline',
    scope: options.scope ?? 'space',
  }
}
