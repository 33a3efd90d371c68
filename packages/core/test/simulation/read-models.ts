/**
 * The simulation's read models: which there are, reading them (and the quarantine) from a database, and the
 * model of what the servers' logs imply, computed without the runtime.
 */

import { expect } from 'vitest'
import type { StoredWireEvent } from '../../src/protocol'
import { COLUMNS, POISON, type SimVersions, statKey } from '../fixtures/sim-domain'
import type { Client } from './commands'

export const PROJECTIONS = [
  'items',
  'columns',
  'handles',
  'titles',
  'stats',
  'profiles',
] as const satisfies readonly (keyof SimVersions)[]
/** Read models whose rows belong to one space (`scope: 'space'`); `stats` counts events of every space. */
export const SPACE_SCOPED = ['items', 'columns', 'handles', 'titles', 'profiles'] as const

export type Row = Record<string, unknown>
export type ReadModels = Record<(typeof PROJECTIONS)[number], Row[]>

export async function readModels(c: Client): Promise<ReadModels> {
  const out = {} as ReadModels
  for (const p of PROJECTIONS) {
    const rows = (await c.find(p)) as unknown as Row[]
    // Rows carry the space of the event that last wrote them: for a read model of every space, that depends on
    // the order the database received the spaces' events in.
    out[p] = p === 'stats' ? rows.map(({ space: _space, ...row }) => row) : rows
  }
  return out
}

/** Quarantined events as `projection event-id`, sorted (the durable list, as the status reports it). */
function quarantined(c: Client): string[] {
  const list = (c.runtime.status.get() as { quarantined?: { projection: string; eventId: string }[] }).quarantined
  return (list ?? []).map((q) => `${q.projection} ${q.eventId}`).sort()
}

/** The status may publish the durable quarantine list a moment after the runtime wrote it. */
export async function expectQuarantine(c: Client, expected: string[], message: string): Promise<void> {
  await expect.poll(() => quarantined(c), { timeout: 1000, interval: 10, message }).toEqual(expected)
}

/**
 * What the servers' logs imply, computed without the runtime: the read models a correct rebuild produces and
 * the events each projection must quarantine (a throwing handler, a unique-index violation). Spaces are
 * independent (distinct streams, rows and handles), so their logs are folded one after the other.
 */
export function model(
  logs: readonly { space: string; log: readonly StoredWireEvent[] }[],
  wide: boolean,
): {
  readModels: ReadModels
  quarantined: string[]
} {
  const items = new Map<string, Row>()
  const columns = new Map<string, Row & { itemIds: string[] }>()
  const handles = new Map<string, Row & { handle: string }>()
  const titleRows = new Map<string, Row & { renames: number }>()
  const profiles = new Map<string, Row>()
  const stats = new Map<string, Row & { count: number }>()
  const q: string[] = []
  for (const { space, log } of logs) {
    for (const e of log) {
      const d = e.data as {
        item: string
        column: string
        from: string
        to: string
        title: string
        handle: string
        doingLimit: number
        limit: number | null
        email: string
        name: string
      }
      const at = (e.meta as { issuedAt: number }).issuedAt
      const id = e.stream.slice(e.stream.indexOf(':') + 1)
      const stat = statKey(e, wide)
      stats.set(stat, { type: stat, count: (stats.get(stat)?.count ?? 0) + 1 })
      const col = (c: string) => columns.get(`${id}/${c}`) as Row & { itemIds: string[] }
      const setCol = (c: string, row: Row & { itemIds: string[] }) =>
        columns.set(`${id}/${c}`, { ...row, updatedAt: at, space })
      switch (e.type) {
        case 'BoardCreated':
          for (const c of COLUMNS)
            setCol(c, { id: `${id}/${c}`, itemIds: [], limit: c === 'doing' ? d.doingLimit : null })
          break
        case 'ItemAdded':
          items.set(d.item, {
            id: d.item,
            column: d.column,
            title: items.get(d.item)?.title ?? '',
            removed: 0,
            updatedAt: at,
            space,
          })
          setCol(d.column, { ...col(d.column), itemIds: [...col(d.column).itemIds, d.item] })
          break
        case 'ItemMoved': {
          const row = items.get(d.item)
          if (row) items.set(d.item, { ...row, column: d.to, updatedAt: at, space })
          setCol(d.from, { ...col(d.from), itemIds: col(d.from).itemIds.filter((i) => i !== d.item) })
          setCol(d.to, { ...col(d.to), itemIds: [...col(d.to).itemIds, d.item] })
          break
        }
        case 'ItemRemoved': {
          const row = items.get(d.item)
          if (row) items.set(d.item, { ...row, removed: 1, updatedAt: at, space })
          setCol(d.column, { ...col(d.column), itemIds: col(d.column).itemIds.filter((i) => i !== d.item) })
          break
        }
        case 'LimitSet':
          setCol(d.column, { ...col(d.column), limit: d.limit })
          break
        case 'Renamed': {
          items.set(id, {
            ...(items.get(id) ?? { id, column: '', removed: 0 }),
            title: d.title,
            updatedAt: at,
            space,
          })
          if (d.title === POISON) q.push(`titles ${e.id}`)
          else titleRows.set(id, { id, renames: (titleRows.get(id)?.renames ?? 0) + 1, last: d.title, space })
          break
        }
        case 'HandleClaimed': {
          const holder = [...handles.values()].find((h) => h.handle === d.handle && h.user !== id)
          if (holder) q.push(`handles ${e.id}`)
          else handles.set(id, { user: id, handle: d.handle, updatedAt: at, space })
          break
        }
        case 'HandleReleased':
          handles.delete(id)
          break
        case 'ProfileSet':
          profiles.set(id, { user: id, email: d.email, name: d.name, updatedAt: at, space })
          break
      }
    }
  }
  const sorted = <R extends Row>(m: Map<string, R>) =>
    [...m.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, r]) => r)
  // An inline `titles` projection (dimension `async` off) fails the poison command itself: nothing to quarantine.
  return {
    readModels: {
      items: sorted(items),
      columns: sorted(columns),
      handles: sorted(handles),
      titles: sorted(titleRows),
      stats: sorted(stats),
      profiles: sorted(profiles),
    },
    quarantined: q.sort(),
  }
}
