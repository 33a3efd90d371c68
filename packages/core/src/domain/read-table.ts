/**
 * The read-only table API that projection queries receive: a subset of Dexie's `Table`, declared here so
 * that domain code imports nothing from Dexie. In the worker it is backed by the real Dexie table, so
 * live queries track exactly the ranges a query reads.
 */

/** A value IndexedDB can index. */
export type IndexKey = string | number | Date | ArrayBuffer | ArrayBufferView | IndexKey[]

/** A lazily evaluated selection of rows. */
export interface ReadCollection<Row> {
  toArray(): Promise<Row[]>
  /** Sorts by a property (in memory) and returns the rows. */
  sortBy(property: string): Promise<Row[]>
  count(): Promise<number>
  first(): Promise<Row | undefined>
  last(): Promise<Row | undefined>
  limit(n: number): ReadCollection<Row>
  offset(n: number): ReadCollection<Row>
  reverse(): ReadCollection<Row>
  filter(predicate: (row: Row) => boolean): ReadCollection<Row>
  and(predicate: (row: Row) => boolean): ReadCollection<Row>
  primaryKeys(): Promise<IndexKey[]>
}

/** Range selection on one index. */
export interface ReadWhereClause<Row> {
  equals(key: IndexKey): ReadCollection<Row>
  anyOf(keys: readonly IndexKey[]): ReadCollection<Row>
  between(lower: IndexKey, upper: IndexKey, includeLower?: boolean, includeUpper?: boolean): ReadCollection<Row>
  above(key: IndexKey): ReadCollection<Row>
  aboveOrEqual(key: IndexKey): ReadCollection<Row>
  below(key: IndexKey): ReadCollection<Row>
  belowOrEqual(key: IndexKey): ReadCollection<Row>
  startsWith(prefix: string): ReadCollection<Row>
}

/** A read model table, read-only. */
export interface ReadTable<Row> {
  get(key: IndexKey): Promise<Row | undefined>
  where(index: string): ReadWhereClause<Row>
  orderBy(index: string): ReadCollection<Row>
  toArray(): Promise<Row[]>
  count(): Promise<number>
  limit(n: number): ReadCollection<Row>
  filter(predicate: (row: Row) => boolean): ReadCollection<Row>
}
