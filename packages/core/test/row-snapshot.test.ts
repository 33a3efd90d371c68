/**
 * `snapshotRow` (runtime/row-snapshot.ts) stands in for `structuredClone` on the rows a catch-up overlay holds:
 * it must give what `structuredClone` gives, and leave nothing a caller still holds able to change it.
 */
import { expect, it } from 'vitest'
import { snapshotRow } from '../src/runtime/row-snapshot'

it('a row of primitives is its own snapshot: the same object, equal to its structured clone', () => {
  const row = { id: 'a', n: 1, big: 2n, ok: true, none: null, missing: undefined, space: 's' }
  expect(snapshotRow(row)).toBe(row)
  expect(snapshotRow(row)).toEqual(structuredClone(row))
})

it('a row holding an object or array is deep-copied: changing the original after does not reach the copy', () => {
  const row = { id: 'a', tags: ['x'], meta: { at: new Date(5) } }
  const copy = snapshotRow(row) as typeof row
  expect(copy).not.toBe(row)
  row.tags.push('y')
  row.meta.at.setTime(9)
  expect(copy).toEqual({ id: 'a', tags: ['x'], meta: { at: new Date(5) } })
})

it('what structuredClone refuses is refused: a function or a symbol value throws a DataCloneError', () => {
  for (const value of [() => 1, Symbol('s')]) {
    expect(() => snapshotRow({ id: 'a', value })).toThrow(expect.objectContaining({ name: 'DataCloneError' }))
  }
})

it('symbol keys are dropped, as structuredClone drops them', () => {
  const key = Symbol('k')
  const copy = snapshotRow({ id: 'a', [key]: 1 })
  expect(Object.getOwnPropertySymbols(copy)).toEqual([])
  expect(copy).toEqual({ id: 'a' })
})

it('an object with another prototype is cloned to a plain object, as structuredClone does', () => {
  class Row {
    id = 'a'
  }
  const copy = snapshotRow(new Row())
  expect(Object.getPrototypeOf(copy)).toBe(Object.prototype)
  expect(copy).toEqual({ id: 'a' })
})
