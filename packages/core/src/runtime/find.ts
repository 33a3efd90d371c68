import type { Collection, IndexableType, Table } from 'dexie'
import { ValidationError } from '../domain/errors'
import type { IndexKey } from '../domain/read-table'

/** A condition on one field: a value (equality) or a range. */
export type FieldCondition =
  | IndexKey
  | { gt?: IndexKey; gte?: IndexKey; lt?: IndexKey; lte?: IndexKey; in?: IndexKey[] }

/** Options of the generic `find` over a projection's table. */
export interface FindOptions<Row = Record<string, unknown>> {
  /** Conditions by field; the first indexed field drives the index lookup, the rest filter. */
  where?: { [K in keyof Row & string]?: FieldCondition }
  /** Field to sort by; `-field` for descending. */
  orderBy?: string
  limit?: number
  offset?: number
}

function isRange(
  c: FieldCondition,
): c is { gt?: IndexKey; gte?: IndexKey; lt?: IndexKey; lte?: IndexKey; in?: IndexKey[] } {
  return (
    typeof c === 'object' &&
    c !== null &&
    !Array.isArray(c) &&
    !(c instanceof Date) &&
    !ArrayBuffer.isView(c) &&
    !(c instanceof ArrayBuffer)
  )
}

function compare(a: unknown, b: unknown): number {
  return a === b ? 0 : (a as number) < (b as number) ? -1 : 1
}

function matches(value: unknown, c: FieldCondition): boolean {
  if (!isRange(c)) return compare(value, c) === 0 && value !== undefined
  if (value === undefined) return false
  if (c.in && !c.in.some((v) => compare(value, v) === 0)) return false
  if (c.gt !== undefined && !(compare(value, c.gt) > 0)) return false
  if (c.gte !== undefined && !(compare(value, c.gte) >= 0)) return false
  if (c.lt !== undefined && !(compare(value, c.lt) < 0)) return false
  if (c.lte !== undefined && !(compare(value, c.lte) <= 0)) return false
  return true
}

/** Runs a generic query over indexed fields. Unknown fields are a ValidationError, not a silent full scan. */
export async function find(table: Table, options: FindOptions): Promise<unknown[]> {
  const indexed = new Set<string>([table.schema.primKey.name, ...table.schema.indexes.map((i) => i.name)])
  const where = Object.entries(options.where ?? {}).filter(([, c]) => c !== undefined) as [string, FieldCondition][]
  for (const [field] of where) {
    if (!indexed.has(field)) {
      throw new ValidationError(`find: '${field}' is not an indexed field of ${table.name}`, [
        { message: `indexed fields: ${[...indexed].join(', ')}`, path: ['where', field] },
      ])
    }
  }
  const orderField = options.orderBy?.replace(/^-/, '')
  const descending = options.orderBy?.startsWith('-') ?? false
  let collection: Collection
  const [first, ...rest] = where
  if (first) {
    const [field, c] = first
    const clause = table.where(field)
    if (!isRange(c)) collection = clause.equals(c as IndexableType)
    else if (c.in) collection = clause.anyOf(c.in as IndexableType[])
    else {
      const lower = c.gt ?? c.gte
      const upper = c.lt ?? c.lte
      if (lower !== undefined && upper !== undefined)
        collection = clause.between(lower, upper, c.gt === undefined, c.lt === undefined)
      else if (lower !== undefined) collection = c.gt !== undefined ? clause.above(lower) : clause.aboveOrEqual(lower)
      else if (upper !== undefined) collection = c.lt !== undefined ? clause.below(upper) : clause.belowOrEqual(upper)
      else collection = table.toCollection()
    }
    collection = collection.filter((row) => matches((row as Record<string, unknown>)[field], c))
    for (const [f, cond] of rest)
      collection = collection.and((row) => matches((row as Record<string, unknown>)[f], cond))
  } else if (orderField) {
    if (!indexed.has(orderField)) {
      throw new ValidationError(`find: cannot order by '${orderField}', it is not indexed`, [
        { message: 'not indexed', path: ['orderBy'] },
      ])
    }
    collection = table.orderBy(orderField)
    if (descending) collection = collection.reverse()
    if (options.offset) collection = collection.offset(options.offset)
    if (options.limit !== undefined) collection = collection.limit(options.limit)
    return collection.toArray()
  } else {
    collection = table.toCollection()
  }
  let rows: unknown[]
  if (orderField) {
    rows = await collection.sortBy(orderField)
    if (descending) rows.reverse()
  } else rows = await collection.toArray()
  const start = options.offset ?? 0
  return rows.slice(start, options.limit === undefined ? undefined : start + options.limit)
}
