/**
 * A scenario on the simulation's domain (`test/fixtures/sim-domain.ts`): the domain of a run, the spaces' names
 * and stream prefixes, a generated command as the domain's command, and whether the server refuses it.
 */

import type { LocalClient } from '../../src/client/local-client'
import { COLUMNS, REFUSED_TITLE, type SimDomain, type SimVersions, simDomain } from '../fixtures/sim-domain'
import { on } from './knobs'
import { type Command, personalValues } from './scenario'

/** The space of a single-space run (a `transport` syncs `default`). */
export const DEFAULT_SPACE = 'default'

export const spaceNames = (n: number): string[] =>
  n <= 1 ? [DEFAULT_SPACE] : Array.from({ length: n }, (_, i) => `s${i}`)

/** Streams (and handles) of a space get its name as a prefix: streams of different spaces are distinct. */
export const prefixOf = (space: string) => (space === DEFAULT_SPACE ? '' : `${space}-`)

export type Client = LocalClient<SimDomain>

export function toCommand(c: Command, p: string): { path: Parameters<Client['execute']>[0]; request: { id: string } } {
  const column = (i: number) => COLUMNS[i] as string
  const board = `${p}b${'board' in c ? (c.board ?? '') : ''}`
  const item = (i: number) => `${p}i${i}`
  switch (c.kind) {
    case 'create':
      return { path: 'board.create', request: { id: board, input: { doingLimit: 1 } } as never }
    case 'add':
      return {
        path: 'board.add',
        request: { id: board, input: { item: item(c.item), column: column(c.column) } } as never,
      }
    case 'move':
      return {
        path: 'board.move',
        request: { id: board, input: { item: item(c.item), to: column(c.column) } } as never,
      }
    case 'remove':
      return { path: 'board.remove', request: { id: board, input: { item: item(c.item) } } as never }
    case 'limit':
      return { path: 'board.setLimit', request: { id: board, input: { column: 'doing', limit: c.limit } } as never }
    case 'rename':
      return { path: 'item.rename', request: { id: item(c.item), input: { title: c.title } } as never }
    case 'claim':
      return { path: 'user.claim', request: { id: `${p}u${c.user}`, input: { handle: `${p}${c.handle}` } } as never }
    case 'release':
      return { path: 'user.release', request: { id: `${p}u${c.user}`, input: {} } as never }
    case 'profile':
      return {
        path: 'user.profile',
        request: { id: `${p}u${c.user}`, input: personalValues(`${p}u${c.user}`, c.variant) } as never,
      }
  }
}

/** Whether the server refuses the command's event (the server of an encrypted space cannot read it). */
export const refused = (c: Command, encrypted: boolean) =>
  !encrypted && ((c.kind === 'rename' && c.title === REFUSED_TITLE) || (c.kind === 'claim' && /-root$/.test(c.handle)))

/** `wide`: dimension `streams` (the `stats` read model counts per stream). */
export const domainOf = (versions: SimVersions, wide: boolean): SimDomain =>
  simDomain(versions, { asyncTitles: on('async'), reactor: on('reactor'), statsPerStream: wide })
