/**
 * The random scenarios (fast-check arbitraries): how many databases and spaces, which dimensions a run takes, and
 * the steps (commands, sync rounds with faults, offline windows, restarts, joins and leaves, held pushes,
 * forgotten subjects); the personal values a profile command writes.
 */

import fc from 'fast-check'
import { POISON, REFUSED_TITLE, type SimVersions } from '../fixtures/sim-domain'
import { on } from './knobs'
import { PROJECTIONS } from './read-models'

export type Fault = 'none' | 'lose-request' | 'lose-response' | 'duplicate' | 'break-pull'

/** `board`: which board of the pool (dimension `streams`); absent, the space's one board. */
export type Command =
  | { kind: 'create'; board?: number }
  | { kind: 'add'; board?: number; item: number; column: number }
  | { kind: 'move'; board?: number; item: number; column: number }
  | { kind: 'remove'; board?: number; item: number }
  | { kind: 'limit'; board?: number; limit: number | null }
  | { kind: 'rename'; item: number; title: string }
  | { kind: 'claim'; user: number; handle: string }
  | { kind: 'release'; user: number }
  /** A profile with personal data: which of a few values per user (see {@link personalValues}). */
  | { kind: 'profile'; user: number; variant: number }

/**
 * How a command names its space (several spaces), one of the database's spaces: `name` it; `omit` it on a stream
 * the database holds (the stream's space applies); name a `wrong` one for such a stream (a ValidationError). A
 * new stream always names its space. `unjoined`: a command in a space the database is not in (a ValidationError).
 */
export type Naming = 'name' | 'omit' | 'wrong' | 'unjoined'

export type Step =
  | { kind: 'command'; client: number; twin: boolean; space?: number; naming?: Naming; command: Command }
  | { kind: 'sync'; client: number; faults: Fault[] }
  /** `space`: cut that space only (several spaces); else the whole network. */
  | { kind: 'offline'; client: number; offline: boolean; space?: number | null }
  | { kind: 'reopen'; client: number; bump: keyof SimVersions | 'all' | null }
  /** Joins a space the database is not in (`space` indexes those). */
  | { kind: 'join'; client: number; twin: boolean; space: number }
  /** Leaves a joined space (`space` indexes those), discarding pending work or not. */
  | { kind: 'leave'; client: number; twin: boolean; space: number; discard: boolean }
  /** Holds the database's pushes back (they fail as offline ones do) or lets them through; pulls work. */
  | { kind: 'hold'; client: number; held: boolean }
  /** Forgets a user of one of the database's spaces (`space` indexes them, as a command's does). */
  | { kind: 'forget'; client: number; space: number; user: number }

export interface Scenario {
  clients: number
  /** The database that a second, non-syncing runtime shares (-1: none). */
  twinOf: number
  /** 1 (default): the space `default` through a single-space `transport`; 2–3: one server per space. */
  spaces?: number
  /** Per database, the spaces it joins at start (a non-empty bit mask; several spaces only). */
  joined?: number[]
  /** Dimension `streams`: ids from the larger pool, `stats` per stream, pushes held back at times. */
  streams?: boolean
  /** Dimension `streams`: per database, whether it starts with its pushes held back (not all of them). */
  held?: boolean[]
  /** Dimension `encrypted`: the spaces end-to-end encrypted (a bit mask over the spaces), types hidden or not. */
  encrypted?: { spaces: number; hideTypes: boolean } | null
  /** Dimension `forget`: steps `forget` are generated. */
  forget?: boolean
  steps: Step[]
}

/** Stream pools per space: the contended one, and the larger one of dimension `streams`. */
export const POOLS = { contended: { boards: 1, items: 4, users: 3 }, wide: { boards: 4, items: 10, users: 5 } }
type Pool = (typeof POOLS)[keyof typeof POOLS]

// Distinctive strings: the servers of encrypted spaces must not hold them (checked in invariants.ts).
export const titles = [
  'zqtitle-a',
  'zqtitle-b',
  ...(on('poison') ? [POISON] : []),
  ...(on('refuse') ? [REFUSED_TITLE] : []),
]
export const handles = ['zqhandle-1', 'zqhandle-2', ...(on('refuse') ? ['zqhandle-root'] : [])]
/** Values of a profile per user; a profile command writes one of them. */
const VARIANTS = 2
/** Users with profiles in runs of dimension `forget` (and the ones step `forget` forgets). */
const PERSONAL_USERS = 2

/** A user's personal values (the subject is the user's id): distinctive, none a part of another. */
export function personalValues(subject: string, variant: number): { email: string; name: string } {
  return { email: `pii~mail~${subject}~${variant}~`, name: `pii~name~${subject}~${variant}~` }
}

/** `forget`: a run of dimension `forget` (more profiles, so that forgotten subjects have data). */
function commandArb(pool: Pool, forget: boolean): fc.Arbitrary<Command> {
  const item = fc.nat(pool.items - 1)
  const user = fc.nat(pool.users - 1)
  // The contended pool has one board: its commands name none (the space's board, as before the pool grew).
  const onBoard = <T extends object>(fields: { [K in keyof T]: fc.Arbitrary<T[K]> }) =>
    pool.boards > 1 ? fc.record({ ...fields, board: fc.nat(pool.boards - 1) }) : fc.record(fields)
  // An item's commands go to its own board (item number modulo the boards), so that moves and removes find it.
  const onItemsBoard = <T extends { item: number }>(fields: { [K in keyof T]: fc.Arbitrary<T[K]> }) =>
    pool.boards > 1 ? fc.record(fields).map((c) => ({ ...c, board: c.item % pool.boards })) : fc.record(fields)
  return fc.oneof(
    { weight: 1, arbitrary: onBoard({ kind: fc.constant('create' as const) }) },
    { weight: 3, arbitrary: onItemsBoard({ kind: fc.constant('add' as const), item, column: fc.nat(2) }) },
    { weight: 3, arbitrary: onItemsBoard({ kind: fc.constant('move' as const), item, column: fc.nat(2) }) },
    { weight: 1, arbitrary: onItemsBoard({ kind: fc.constant('remove' as const), item }) },
    {
      weight: 1,
      arbitrary: onBoard({ kind: fc.constant('limit' as const), limit: fc.option(fc.integer({ min: 1, max: 2 })) }),
    },
    {
      weight: 2,
      arbitrary: fc.record({ kind: fc.constant('rename' as const), item, title: fc.constantFrom(...titles) }),
    },
    {
      weight: on('unique') ? 2 : 0,
      arbitrary: fc.record({ kind: fc.constant('claim' as const), user, handle: fc.constantFrom(...handles) }),
    },
    { weight: on('unique') ? 1 : 0, arbitrary: fc.record({ kind: fc.constant('release' as const), user }) },
    {
      weight: on('forget') ? (forget ? 4 : 1) : 0,
      // Runs of dimension `forget`: two users, so that forgotten ones have data, pending and rejected included.
      arbitrary: fc.record({
        kind: fc.constant('profile' as const),
        user: forget ? fc.nat(PERSONAL_USERS - 1) : user,
        variant: fc.nat(VARIANTS - 1),
      }),
    },
  ) as fc.Arbitrary<Command>
}

const faultArb = fc.constantFrom<Fault>('none', 'none', 'lose-request', 'lose-response', 'duplicate', 'break-pull')

function stepsArb(clients: number, spaces: number, wide: boolean, forget: boolean): fc.Arbitrary<Step[]> {
  const several = spaces > 1
  const client = fc.nat(clients - 1)
  const pool = wide ? POOLS.wide : POOLS.contended
  const command = commandArb(pool, forget)
  return fc.array(
    fc.oneof(
      {
        // Dimension `streams`: mostly commands (each database's work must meet the others').
        weight: wide ? 12 : 6,
        arbitrary: fc.record({
          kind: fc.constant('command' as const),
          client,
          twin: fc.boolean(),
          space: fc.nat(spaces - 1),
          naming: several
            ? fc.oneof(
                { weight: 6, arbitrary: fc.constant<Naming>('name') },
                { weight: 3, arbitrary: fc.constant<Naming>('omit') },
                { weight: 1, arbitrary: fc.constant<Naming>('wrong') },
                { weight: 1, arbitrary: fc.constant<Naming>('unjoined') },
              )
            : fc.constant<Naming>('name'),
          command,
        }),
      },
      {
        weight: 3,
        arbitrary: fc.record({
          kind: fc.constant('sync' as const),
          client,
          // Several spaces: some rounds without faults, to check that a cut-off space holds up no other.
          faults: several
            ? fc.oneof(fc.constant<Fault[]>([]), fc.array(faultArb, { maxLength: 4 }))
            : fc.array(faultArb, { maxLength: 4 }),
        }),
      },
      {
        weight: several ? 2 : 1,
        arbitrary: fc.record({
          kind: fc.constant('offline' as const),
          client,
          offline: fc.boolean(),
          space: several
            ? fc.oneof({ weight: 1, arbitrary: fc.constant(null) }, { weight: 2, arbitrary: fc.nat(spaces - 1) })
            : fc.constant(null),
        }),
      },
      {
        // Dimension `streams`: none (the contended runs cover restarts; a restart costs more than a command).
        weight: on('reopen') && !wide ? 2 : 0,
        arbitrary: fc.record({
          kind: fc.constant('reopen' as const),
          client,
          bump: fc.constantFrom<keyof SimVersions | 'all' | null>('all', 'all', null, ...PROJECTIONS),
        }),
      },
      {
        weight: several ? 1 : 0,
        arbitrary: fc.record({ kind: fc.constant('join' as const), client, twin: fc.boolean(), space: fc.nat(2) }),
      },
      {
        weight: several ? (wide ? 1 : 2) : 0,
        arbitrary: fc.record({
          kind: fc.constant('leave' as const),
          client,
          twin: fc.boolean(),
          space: fc.nat(2),
          discard: fc.boolean(),
        }),
      },
      {
        weight: wide ? 3 : 0,
        arbitrary: fc.record({
          kind: fc.constant('hold' as const),
          client,
          held: fc.oneof({ weight: 2, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
        }),
      },
      {
        weight: forget ? 2 : 0,
        arbitrary: fc.record({
          kind: fc.constant('forget' as const),
          client,
          space: fc.nat(spaces - 1),
          user: fc.nat(PERSONAL_USERS - 1),
        }),
      },
    ),
    // Dimension `streams` needs longer runs: pending work of a held database must meet others' pushes.
    { minLength: 4, maxLength: several ? 36 : 28, ...(wide ? { size: '+1' as const } : {}) },
  )
}

export const scenarioArb: fc.Arbitrary<Scenario> = fc
  .record({
    clients: fc.integer({ min: 2, max: 4 }),
    spaces: on('spaces') ? fc.integer({ min: 1, max: 3 }) : fc.constant(1),
    streams: on('streams') ? fc.boolean() : fc.constant(false),
    forget: on('forget') ? fc.nat(2).map((n) => n === 0) : fc.constant(false),
  })
  .chain(({ clients, spaces, streams, forget }) =>
    fc.record({
      clients: fc.constant(clients),
      twinOf: on('twin') ? fc.integer({ min: -1, max: clients - 1 }) : fc.constant(-1),
      spaces: fc.constant(spaces),
      joined: fc.array(fc.integer({ min: 1, max: 2 ** spaces - 1 }), { minLength: clients, maxLength: clients }),
      streams: fc.constant(streams),
      held: streams ? fc.array(fc.boolean(), { minLength: clients, maxLength: clients }) : fc.constant<boolean[]>([]),
      encrypted: on('encrypted')
        ? fc.oneof(
            { weight: 2, arbitrary: fc.constant(null) },
            {
              weight: 1,
              arbitrary: fc.record({ spaces: fc.integer({ min: 1, max: 2 ** spaces - 1 }), hideTypes: fc.boolean() }),
            },
          )
        : fc.constant(null),
      forget: fc.constant(forget),
      steps: stepsArb(clients, spaces, streams, forget),
    }),
  )
