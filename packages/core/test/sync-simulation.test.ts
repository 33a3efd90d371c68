/**
 * Deterministic simulation of sync and of the failure model (DESIGN §4, §4b): 2–4 databases, each with its own
 * syncing runtime (one of them shared with a second, non-syncing runtime: two tabs on one database), against an
 * in-memory server that refuses some events for good, through a fault-injecting transport (lost requests, lost
 * responses after the server committed, duplicated deliveries, broken pulls, offline windows). Random commands on
 * a shared aggregate with an invariant (a WIP limit), a projection with a unique index, an async projection that
 * throws on some events, a read model of every space (`scope: 'all'`), a reactor, and restarts that bump
 * projection versions while work is pending (`test/fixtures/sim-domain.ts`).
 *
 * Dimension `spaces` (two runs in three): 2–3 spaces, each its own in-memory server, reached through
 * `spacesTransport` (faults are injected per request, whichever space it goes to; an offline window may cut off
 * one space only). Each database starts joined to some of them; it joins and leaves spaces (from either runtime;
 * with `discardPending`, or without it and then, while the space has unsynced work, refused with `UNSYNCED_WORK`
 * having removed nothing) and names the space of each stream it creates (naming another space for an existing
 * stream, or a space it is not in, must fail validation; a command that names none stays in its stream's space).
 * A round without faults must sync every reachable space whatever happens to the others.
 *
 * After the network heals: every database holds exactly each joined space's server log, and nothing of the other
 * spaces (no event, command or read-model row); every read model equals both a fresh database fed the servers'
 * logs by pull and a model computed from the logs of the joined spaces, and again after a rebuild (every
 * projection version bumped); quarantined events are the same everywhere and exactly the ones the logs imply; no
 * event and no reaction appears twice; every command that appended events ends confirmed or rejected (server
 * refusals included; unless its space was left since) and each rejection is reported; commands discarded by a
 * leave reached no server unless it had accepted them before. No normalization: `updatedAt` and list order must
 * match.
 *
 * Dimension `streams` (one run in two): stream ids come from a larger pool (4 boards, 10 items, 5 users per space;
 * an item's commands go to its own board), the `stats` read model counts per type and stream instead of per type
 * (a row every event of a type would share), runs are longer and mostly commands, and databases may hold their
 * pushes back while their pulls still work (at start and by step `hold`: a network that lets reads through, or a
 * server refusing writes for a while). The others sync as they go, and the holding ones pull each of their
 * commands: their pending work meets pulled events that touch other streams and rows, the pulls applied under
 * pending work without rolling it back (`sync/rebase-commuting.ts`) that the contended runs (one board per
 * space) almost never reach.
 *
 * Dimension `encrypted` (one run in three): some spaces (every space of a single-space run) are end-to-end
 * encrypted on every database and the oracle (one key per space, `joinSpace(space, { encryption })`, again at each
 * join), hiding event types or not. The servers see envelopes: they refuse nothing for its data (a refused title
 * is stored there), and nothing they store holds a title, a handle or a personal value the commands wrote. The
 * invariants above hold on the servers' logs opened with the keys.
 *
 * Personal data (dimension `forget`): the `user.profile` command writes `ProfileSet`, whose `email` and `name`
 * are the user's personal data (sealed with the subject's key from the server's key store: no server ever holds
 * them in clear). In one run in three, step `forget` has a database call `forgetSubject(user)` (it fails offline,
 * held or with a lost request or response: then it may or may not be done; the servers' key stores tell). After
 * the network heals, for every forgotten subject no database (every table of its IndexedDB) and no server holds
 * a personal value ever written for it, and every read model shows REDACTED in its fields; the others keep
 * theirs (and every read model still equals the model of the servers' logs, opened with what the key stores
 * hold).
 *
 * fast-check prints the seed and the shrunk counterexample on failure. `CAIRN_SIM_SEED` and `CAIRN_SIM_RUNS`
 * override the fixed defaults; `CAIRN_SIM_OFF=reopen,twin,...` turns dimensions off (see `DIMENSIONS`) to
 * isolate a failure; `CAIRN_SIM_REPLAY='<counterexample JSON>'` runs one printed counterexample alone
 * (`CAIRN_SIM_DEBUG=1` also prints each database's checkpoints, events, journal and spaces; `CAIRN_SIM_STATS=1`
 * one line per run on what it exercised).
 */

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createLocalClient, type LocalClient } from '../src/client/local-client'
import { decryptEventData } from '../src/crypto/envelope'
import { keyFromPassphrase, type SpaceKey, spaceKeys } from '../src/crypto/keys'
import { importSubjectKey, isFieldEnvelope, openField } from '../src/crypto/personal'
import { SyncError, ValidationError } from '../src/domain/errors'
import { REDACTED } from '../src/domain/events'
import {
  type ForgetRequest,
  type PushRequest,
  type StoredWireEvent,
  SUBJECT_FORGOTTEN,
  type SubjectKeysRequest,
  SYSTEM_STREAM_PREFIX,
} from '../src/protocol'
import type { CommandRecord, EventRecord } from '../src/store/records'
import type { JoinSpaceOptions, SyncOptions } from '../src/sync/engine'
import { SyncNetworkError, type SyncTransport, spacesTransport } from '../src/sync/transport'
import { MemorySyncServer } from '../src/testing/memory-sync-server'
import {
  BASE_VERSIONS,
  COLUMNS,
  POISON,
  REFUSED_TITLE,
  type SimDomain,
  type SimVersions,
  simDomain,
  simRefusal,
  statKey,
} from './fixtures/sim-domain'
import { dumpDatabase, freshName } from './helpers'

const SEED = Number(process.env.CAIRN_SIM_SEED ?? 20261130)
const RUNS = Number(process.env.CAIRN_SIM_RUNS ?? 200)

/** Dimensions beyond plain sync with faults; each can be turned off with `CAIRN_SIM_OFF`. */
const DIMENSIONS = [
  'async',
  'reactor',
  'reopen',
  'refuse',
  'poison',
  'unique',
  'twin',
  'spaces',
  'streams',
  'encrypted',
  'forget',
] as const
type Dimension = (typeof DIMENSIONS)[number]
const OFF = new Set((process.env.CAIRN_SIM_OFF ?? '').split(',').filter(Boolean))
for (const d of OFF) if (!(DIMENSIONS as readonly string[]).includes(d)) throw new Error(`unknown dimension '${d}'`)
const on = (d: Dimension) => !OFF.has(d)

const PROJECTIONS = [
  'items',
  'columns',
  'handles',
  'titles',
  'stats',
  'profiles',
] as const satisfies readonly (keyof SimVersions)[]
/** Read models whose rows belong to one space (`scope: 'space'`); `stats` counts events of every space. */
const SPACE_SCOPED = ['items', 'columns', 'handles', 'titles', 'profiles'] as const

type Fault = 'none' | 'lose-request' | 'lose-response' | 'duplicate' | 'break-pull'

/** `board`: which board of the pool (dimension `streams`); absent, the space's one board. */
type Command =
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
type Naming = 'name' | 'omit' | 'wrong' | 'unjoined'

type Step =
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

interface Scenario {
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
const POOLS = { contended: { boards: 1, items: 4, users: 3 }, wide: { boards: 4, items: 10, users: 5 } }
type Pool = (typeof POOLS)[keyof typeof POOLS]

// Distinctive strings: the servers of encrypted spaces must not hold them (see {@link markersOf}).
const titles = ['zqtitle-a', 'zqtitle-b', ...(on('poison') ? [POISON] : []), ...(on('refuse') ? [REFUSED_TITLE] : [])]
const handles = ['zqhandle-1', 'zqhandle-2', ...(on('refuse') ? ['zqhandle-root'] : [])]
/** Values of a profile per user; a profile command writes one of them. */
const VARIANTS = 2
/** Users with profiles in runs of dimension `forget` (and the ones step `forget` forgets). */
const PERSONAL_USERS = 2

/** A user's personal values (the subject is the user's id): distinctive, none a part of another. */
function personalValues(subject: string, variant: number): { email: string; name: string } {
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

const scenarioArb: fc.Arbitrary<Scenario> = fc
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

/** The space of a single-space run (a `transport` syncs `default`). */
const DEFAULT_SPACE = 'default'

const spaceNames = (n: number): string[] => (n <= 1 ? [DEFAULT_SPACE] : Array.from({ length: n }, (_, i) => `s${i}`))

/** Streams (and handles) of a space get its name as a prefix: streams of different spaces are distinct. */
const prefixOf = (space: string) => (space === DEFAULT_SPACE ? '' : `${space}-`)

/** One database's network: faults for its next requests (whatever their space), and what is cut off. */
class Link {
  faults: Fault[] = []
  offline = false
  /** Pushes fail as offline ones do; pulls work (step `hold`). */
  pushHeld = false
  readonly offlineSpaces = new Set<string>()

  next(space: string): Fault {
    if (this.offline) throw new SyncNetworkError('offline')
    if (this.offlineSpaces.has(space)) throw new SyncNetworkError(`space '${space}' is unreachable`)
    return this.faults.shift() ?? 'none'
  }
}

/** A transport to one space's server that misbehaves according to its database's link. */
class FaultyTransport implements SyncTransport {
  constructor(
    private readonly server: MemorySyncServer,
    private readonly link: Link,
    private readonly space: string,
  ) {}

  async push(request: PushRequest) {
    if (this.link.pushHeld) throw new SyncNetworkError('pushes held back')
    const fault = this.link.next(this.space)
    if (fault === 'lose-request') throw new SyncNetworkError('request lost')
    const response = this.server.push(structuredClone(request))
    if (fault === 'lose-response') throw new SyncNetworkError('response lost after commit')
    if (fault === 'duplicate') return this.server.push(structuredClone(request))
    return response
  }

  async pull(after: number, limit: number) {
    const fault = this.link.next(this.space)
    if (fault === 'lose-request' || fault === 'break-pull') throw new SyncNetworkError('pull broken')
    const response = this.server.pull(after, limit)
    if (fault === 'lose-response') throw new SyncNetworkError('pull response lost')
    return response
  }

  /** The key store: a read (a held database reaches it), that may create keys. */
  async subjectKeys(request: SubjectKeysRequest) {
    const fault = this.link.next(this.space)
    if (fault === 'lose-request' || fault === 'break-pull') throw new SyncNetworkError('subject keys lost')
    const response = this.server.keysOf(structuredClone(request))
    if (fault === 'lose-response') throw new SyncNetworkError('subject keys response lost')
    return response
  }

  /** A write: held back as pushes are. */
  async forget(request: ForgetRequest) {
    if (this.link.pushHeld) throw new SyncNetworkError('writes held back')
    const fault = this.link.next(this.space)
    if (fault === 'lose-request') throw new SyncNetworkError('forget lost')
    const response = this.server.forget(request.subject, request.proof)
    if (fault === 'lose-response') throw new SyncNetworkError('forget response lost after commit')
    if (fault === 'duplicate') return this.server.forget(request.subject, request.proof)
    return response
  }
}

type Client = LocalClient<SimDomain>

function toCommand(c: Command, p: string): { path: Parameters<Client['execute']>[0]; request: { id: string } } {
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
const refused = (c: Command, encrypted: boolean) =>
  !encrypted && ((c.kind === 'rename' && c.title === REFUSED_TITLE) || (c.kind === 'claim' && /-root$/.test(c.handle)))

/** `wide`: dimension `streams` (the `stats` read model counts per stream). */
const domainOf = (versions: SimVersions, wide: boolean) =>
  simDomain(versions, { asyncTitles: on('async'), reactor: on('reactor'), statsPerStream: wide })

/** Injected clock and ids: runs replay exactly from the seed. */
let clock = 1_800_000_000_000
const now = () => ++clock

/** One local database: its syncing runtime, maybe a second runtime on it, and what the test knows of it. */
class Database {
  readonly name = freshName('sim')
  readonly link = new Link()
  /** One transport per space, all through this database's link. */
  readonly transports: Map<string, FaultyTransport>
  /** The spaces this database must be joined to. */
  readonly joined: Set<string>
  /** Spaces this database left at some point. */
  readonly left = new Set<string>()
  versions: SimVersions = { ...BASE_VERSIONS }
  primary!: Client
  twin: Client | undefined
  readonly reported = new Set<string>()
  private ids = 0
  private opened = false
  private readonly newId = () => `${this.tag}-${++this.ids}`

  constructor(
    readonly tag: string,
    servers: ReadonlyMap<string, MemorySyncServer>,
    initial: readonly string[],
    private readonly hasTwin: boolean,
    private readonly twinSynced: string[],
    readonly wide: boolean,
    /** Dimension `encrypted`: the encryption of an encrypted space, as every join must give it. */
    readonly encryptionOf: (space: string) => JoinSpaceOptions | undefined,
  ) {
    this.transports = new Map(
      [...servers].map(([space, server]) => [space, new FaultyTransport(server, this.link, space)]),
    )
    this.joined = new Set(initial)
  }

  get several(): boolean {
    return !this.transports.has(DEFAULT_SPACE)
  }

  /** The sync options of the syncing runtime; spaces are given at the first start only (the database keeps them). */
  private syncOptions(): SyncOptions {
    const single = this.transports.get(DEFAULT_SPACE)
    if (single) return { transport: single, autoStart: false }
    return {
      spacesTransport: spacesTransport((space) => this.transports.get(space)),
      autoStart: false,
      ...(this.opened ? {} : { spaces: [...this.joined] }),
    }
  }

  async open(): Promise<void> {
    const domain = domainOf(this.versions, this.wide)
    this.primary = createLocalClient(domain, { name: this.name, now, newId: this.newId, sync: this.syncOptions() })
    this.primary.onRejected((r) => this.reported.add(r.commandId))
    if (this.hasTwin) {
      // Configured like every tab, but never elected: it must not reach the server.
      const refuse = (what: string) => async () => {
        this.twinSynced.push(`${this.tag}: ${what}`)
        throw new SyncNetworkError('the second runtime must not sync')
      }
      const transport = { push: refuse('push'), pull: refuse('pull') }
      this.twin = createLocalClient(domain, {
        name: this.name,
        now,
        newId: this.newId,
        sync: this.several
          ? { spacesTransport: transport, autoStart: false }
          : { transport: transport, autoStart: false },
      })
    }
    await Promise.all([ready(this.primary, this.tag), this.twin && ready(this.twin, `${this.tag} (twin)`)])
    // The spaces joined at the first start are encrypted before anything syncs (the database keeps the keys).
    if (!this.opened)
      for (const space of this.joined) {
        const options = this.encryptionOf(space)
        if (options) await this.primary.joinSpace(space, options)
      }
    this.opened = true
    await this.expectMembership('after opening')
  }

  async close(): Promise<void> {
    await this.twin?.close()
    await this.primary.close()
  }

  /** Restarts both runtimes, with a projection's version bumped: the database opens with pending work. */
  async reopen(bump: keyof SimVersions | 'all' | null): Promise<void> {
    await this.close()
    for (const p of PROJECTIONS)
      if (bump === p || bump === 'all') this.versions = { ...this.versions, [p]: this.versions[p] + 1 }
    await this.open()
  }

  runtimes(): Client[] {
    return this.twin ? [this.primary, this.twin] : [this.primary]
  }

  /** Each runtime (a tab) learns of joins and leaves through the database, a moment later. */
  async expectMembership(what: string): Promise<void> {
    const expected = [...this.joined].sort()
    const rows = await this.primary.runtime.database.table('spaces').toArray()
    expect(rows.map((r: { space: string }) => r.space).sort(), `${this.tag}: joined spaces ${what}`).toEqual(expected)
    for (const c of this.runtimes())
      await expect
        .poll(() => Object.keys(c.runtime.status.get().spaces).sort(), {
          timeout: 1000,
          interval: 5,
          message: `${this.tag}: status.spaces of a runtime ${what}`,
        })
        .toEqual(expected)
  }
}

async function ready(c: Client, who: string): Promise<void> {
  try {
    await c.runtime.ready
  } catch (error) {
    throw new Error(`${who}: opening the database failed: ${String(error)}`)
  }
}

async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

type Row = Record<string, unknown>
type ReadModels = Record<(typeof PROJECTIONS)[number], Row[]>

async function readModels(c: Client): Promise<ReadModels> {
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
async function expectQuarantine(c: Client, expected: string[], message: string): Promise<void> {
  await expect.poll(() => quarantined(c), { timeout: 1000, interval: 10, message }).toEqual(expected)
}

interface LoggedEvent {
  id: string
  stream: string
  version: number
  type: string
  data: unknown
}

const shape = (e: LoggedEvent): LoggedEvent => ({
  id: e.id,
  stream: e.stream,
  version: e.version,
  type: e.type,
  data: e.data,
})

/** The database's log of a space in server order, its events not yet confirmed, and its last local position. */
async function localLog(
  c: Client,
  space?: string,
): Promise<{ log: LoggedEvent[]; pending: LoggedEvent[]; maxLpos: number }> {
  const all = await c.runtime.database.table<EventRecord>('events').toArray()
  const rows = space === undefined ? all : all.filter((e) => e.space === space)
  return {
    log: rows
      .filter((e) => e.gpos !== undefined)
      .sort((a, b) => (a.gpos as number) - (b.gpos as number))
      .map(shape),
    pending: rows.filter((e) => e.gpos === undefined).map(shape),
    maxLpos: all.reduce((m, e) => Math.max(m, e.lpos ?? 0), 0),
  }
}

/** Everything a database holds of one space: events, journaled commands, rows of the space's read models. */
async function contentsOf(c: Client, space: string) {
  const database = c.runtime.database
  const events = await database.table<EventRecord>('events').where('space').equals(space).toArray()
  const commands = await database.table<CommandRecord>('commands').where('space').equals(space).toArray()
  const rows = {} as Record<(typeof SPACE_SCOPED)[number], Row[]>
  for (const p of SPACE_SCOPED) rows[p] = ((await c.find(p)) as unknown as Row[]).filter((r) => r.space === space)
  return { events, commands, rows, pending: commands.filter((x) => x.status === 'pending') }
}

/** Dimension `encrypted`: one key per space, the same on every database (derived once). */
const spaceKeyCache = new Map<string, Promise<SpaceKey>>()
function spaceKeyOf(space: string): Promise<SpaceKey> {
  let key = spaceKeyCache.get(space)
  if (!key) {
    key = keyFromPassphrase(`sim passphrase of ${space}`, { salt: `cairn-sim/${space}`, iterations: 1000 })
    spaceKeyCache.set(space, key)
  }
  return key
}

/**
 * A server's log as its members read it, computed without the runtime: its own events (`$cairn:` streams) left
 * out, envelopes opened with the space key (every event of an encrypted space must be one, its type hidden or
 * not as asked), personal fields opened with the key store's keys (REDACTED for a forgotten subject).
 */
async function openedLog(
  space: string,
  server: MemorySyncServer,
  encryption: { key: SpaceKey; hideTypes: boolean } | undefined,
): Promise<StoredWireEvent[]> {
  const keys = encryption ? spaceKeys([encryption.key]) : undefined
  const out: StoredWireEvent[] = []
  for (const e of server.log) {
    if (e.stream.startsWith(SYSTEM_STREAM_PREFIX)) continue
    let type = e.type
    let data = e.data as Record<string, unknown>
    if (keys && encryption) {
      const opened = await decryptEventData(
        { space, id: e.id, stream: e.stream, version: e.version, type: e.type, data: e.data, meta: e.meta },
        keys,
      )
      if (!opened.ok) throw new Error(`event ${e.id} of encrypted space '${space}' does not open: ${opened.message}`)
      if (encryption.hideTypes) expect(e.type, `wire type of ${e.id} in '${space}'`).toBe('$encrypted')
      else expect(e.type, `wire type of ${e.id} in '${space}'`).toBe(opened.type)
      type = opened.type
      data = opened.data as Record<string, unknown>
    }
    const fields = { ...data }
    for (const [field, value] of Object.entries(data)) {
      if (!isFieldEnvelope(value)) continue
      const state = server.subjectKeys.get(value.sub)
      if (state === undefined) throw new Error(`no key for subject '${value.sub}' in '${space}' (event ${e.id})`)
      if (state === 'forgotten') {
        fields[field] = REDACTED
        continue
      }
      const opened = await openField(
        value,
        { space, eventId: e.id, field },
        await importSubjectKey(state.kid, state.key),
      )
      if (!opened.ok) throw new Error(`field '${field}' of event ${e.id} in '${space}' does not open`)
      fields[field] = opened.value
    }
    out.push({ ...e, type, data: fields as StoredWireEvent['data'] })
  }
  return out
}

/** Every row of every table of a database's IndexedDB, as text (a connection of its own, whatever its schema). */
/** The space of a stream the database holds (its first event's), if it holds it. */
async function spaceOfStream(c: Client, stream: string): Promise<string | undefined> {
  const first = await c.runtime.database
    .table<EventRecord>('events')
    .where('[stream+version]')
    .between([stream, 0], [stream, Number.POSITIVE_INFINITY])
    .first()
  return first?.space
}

/** Waits until the async projection and the reactor caught up with the database's log. */
async function settle(db: Database): Promise<void> {
  // Each runtime waits for the positions it knows of (its commits and pulls): a runtime's whenProcessed does not
  // learn of positions another runtime on the database committed.
  for (const c of db.runtimes()) {
    const position = c.runtime.status.get().position
    await within(c.whenProcessed(position), 2000, `${db.tag}: whenProcessed(${position})`)
  }
  const { maxLpos } = await localLog(db.primary)
  if (!on('reactor')) return
  const caughtUp = () =>
    db.runtimes().some((c) => {
      const r = c.runtime.status.get().reactors.auditor
      return r !== undefined && (r.state === 'stopped' || r.position >= maxLpos)
    })
  for (let i = 0; i < 200 && !caughtUp(); i++) await new Promise((r) => setTimeout(r, 5))
}

/**
 * What the servers' logs imply, computed without the runtime: the read models a correct rebuild produces and
 * the events each projection must quarantine (a throwing handler, a unique-index violation). Spaces are
 * independent (distinct streams, rows and handles), so their logs are folded one after the other.
 */
function model(
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

/** A command that appended events: its database, space, and whether the server must refuse it. */
interface Executed {
  db: number
  commandId: string
  space: string
  refused: boolean
  /** Its database left the space since: the journal entry went with it. */
  gone: boolean
}

/** Commands discarded by a leave, and the server's events of that space at that moment. */
interface Discarded {
  db: string
  space: string
  commandIds: Set<string>
  onServer: Set<string>
}

const isValidation = (error: unknown) => error instanceof ValidationError
const syncCode = (error: unknown) => (error instanceof SyncError ? error.code : String(error))

async function runScenario(scenario: Scenario): Promise<void> {
  const names = spaceNames(scenario.spaces ?? 1)
  const several = names.length > 1
  const wide = scenario.streams === true
  const servers = new Map(
    names.map((space) => [space, new MemorySyncServer(on('refuse') ? { refuse: simRefusal } : {})] as const),
  )
  const serverOf = (space: string) => servers.get(space) as MemorySyncServer
  // Dimension `encrypted`: the spaces of the mask (a single space: that one), one key each.
  const encryption = scenario.encrypted ?? null
  const encrypted = new Map<string, SpaceKey>()
  for (const [k, space] of names.entries())
    if (encryption && (!several || encryption.spaces & (1 << k))) encrypted.set(space, await spaceKeyOf(space))
  const encryptionOf = (space: string): JoinSpaceOptions | undefined => {
    const key = encrypted.get(space)
    return key && encryption ? { encryption: { keys: [key], hideTypes: encryption.hideTypes } } : undefined
  }
  const twinSynced: string[] = []
  const dbs = Array.from({ length: scenario.clients }, (_, i) => {
    const mask = several ? scenario.joined?.[i] || 1 : 1
    const initial = names.filter((_, k) => mask & (1 << k))
    return new Database(`c${i}`, servers, initial, i === scenario.twinOf, twinSynced, wide, encryptionOf)
  })
  /** Personal values written per subject (`<space> <subject>`), whatever became of the command. */
  const personal = new Map<string, { space: string; subject: string; values: Set<string> }>()
  const remember = (space: string, subject: string, values: { email: string; name: string }) => {
    const key = `${space} ${subject}`
    const entry = personal.get(key) ?? { space, subject, values: new Set<string>() }
    entry.values.add(values.email).add(values.name)
    personal.set(key, entry)
  }
  /** Steps `forget`: what each asked, and whether `forgetSubject` resolved. */
  const forgets: { db: string; space: string; subject: string; ok: boolean; member: boolean }[] = []
  const executed: Executed[] = []
  const discarded: Discarded[] = []
  /** What the run exercised (CAIRN_SIM_STATS). */
  const seen = { invalid: 0, unsynced: 0, cutOff: 0, omitted: 0, forgetOk: 0, forgetFailed: 0 }
  const oracle = createLocalClient(domainOf(BASE_VERSIONS, wide), {
    name: freshName('oracle'),
    sync: several
      ? { spacesTransport: spacesTransport((s) => servers.get(s)?.transport()), spaces: names, autoStart: false }
      : { transport: serverOf(DEFAULT_SPACE).transport(), autoStart: false },
  })
  try {
    for (const space of encrypted.keys()) await oracle.joinSpace(space, encryptionOf(space))
    for (const db of dbs) await db.open()
    // Each space's boards, created by its first member (a space nobody joined yet gets them from a `create`).
    for (const space of names) {
      const creator = dbs.find((db) => db.joined.has(space))
      const boards = wide ? Array.from({ length: POOLS.wide.boards }, (_, k) => `${k}`) : ['']
      for (const board of creator ? boards : [])
        await creator?.primary.execute('board.create', {
          id: `${prefixOf(space)}b${board}`,
          input: { doingLimit: 1 },
          ...(several ? { space } : {}),
        })
    }
    for (const db of dbs) await db.primary.syncNow()
    for (const db of dbs) await db.primary.syncNow()
    const held = scenario.held ?? []
    for (const [i, db] of dbs.entries()) db.link.pushHeld = held[i] === true && !held.every(Boolean)

    /**
     * Dimension `streams`: databases sync as they go (as over a live connection). One that does not hold its
     * pushes back syncs after each of its commands, and then the ones that do pull it: their pending work meets
     * pulled events of others' commands.
     */
    const liveSync = async (db: Database) => {
      const holding = dbs.filter((other) => other.link.pushHeld)
      if (!wide || db.link.pushHeld || holding.length === 0) return
      await db.primary.syncNow().catch(() => {})
      for (const other of holding) await other.primary.syncNow().catch(() => {})
    }
    for (const step of scenario.steps) {
      const db = dbs[step.client] as Database
      if (step.kind === 'command') {
        const client = step.twin && db.twin ? db.twin : db.primary
        // One of the database's spaces; `unjoined`: one it is not in (any, when there is none of that kind).
        const inPool = (n: string) => db.joined.has(n) === (step.naming !== 'unjoined')
        const pool = names.some(inPool) ? names.filter(inPool) : names
        const space = pool[(step.space ?? 0) % pool.length] as string
        const { path, request } = toCommand(step.command, prefixOf(space))
        if (step.command.kind === 'profile')
          remember(
            space,
            `${prefixOf(space)}u${step.command.user}`,
            personalValues(`${prefixOf(space)}u${step.command.user}`, step.command.variant),
          )
        if (!several) {
          const result = await client.execute(path, request as never).catch(() => undefined)
          await liveSync(db)
          if (result && result.events.length > 0 && !result.duplicate)
            executed.push({
              db: step.client,
              commandId: result.commandId,
              space,
              refused: refused(step.command, encrypted.has(space)),
              gone: false,
            })
          continue
        }
        const stream = `${path.slice(0, path.indexOf('.'))}:${request.id}`
        const existing = await spaceOfStream(db.primary, stream)
        if (existing !== undefined) {
          expect(existing, `${db.tag}: ${stream} is in another space`).toBe(space)
          expect(db.joined.has(space), `${db.tag} holds ${stream} of '${space}', a space it did not join`).toBe(true)
        }
        let named: string | undefined = space
        let invalid: string | undefined
        if (existing !== undefined && step.naming === 'omit') {
          named = undefined
          seen.omitted++
        } else if (existing !== undefined && step.naming === 'wrong') {
          named = names[(names.indexOf(space) + 1) % names.length] as string
          invalid = `${stream} is in space '${space}', not '${named}'`
        } else if (!db.joined.has(space)) invalid = `space '${space}' is not joined`
        const streamLog = async () => {
          const { log, pending } = await localLog(db.primary, space)
          return [...log, ...pending].filter((e) => e.stream === stream)
        }
        const before = invalid ? await streamLog() : undefined
        let result: Awaited<ReturnType<Client['execute']>> | undefined
        try {
          result = await client.execute(path, { ...request, ...(named === undefined ? {} : { space: named }) } as never)
        } catch (error) {
          if (invalid === undefined && isValidation(error))
            expect.fail(`${db.tag}: ${path} on ${stream} (space '${space}'): unexpected ${String(error)}`)
          if (invalid !== undefined && !isValidation(error))
            expect.fail(`${db.tag}: ${path} on ${stream}: ${invalid}, expected a ValidationError, got ${String(error)}`)
        }
        if (invalid !== undefined) {
          seen.invalid++
          if (result) expect.fail(`${db.tag}: ${path} on ${stream} succeeded although ${invalid}`)
          expect(await streamLog(), `${db.tag}: an invalid command wrote (${invalid})`).toEqual(before)
          continue
        }
        if (result && result.events.length > 0 && !result.duplicate) {
          const written = await db.primary.runtime.database
            .table<EventRecord>('events')
            .where('id')
            .anyOf(result.events.map((e) => e.id))
            .toArray()
          expect(
            written.map((e) => e.space),
            `${db.tag}: ${path} on ${stream} (named ${named ?? 'none'}) wrote into another space`,
          ).toEqual(written.map(() => space))
          executed.push({
            db: step.client,
            commandId: result.commandId,
            space,
            refused: refused(step.command, encrypted.has(space)),
            gone: false,
          })
        }
        await liveSync(db)
      } else if (step.kind === 'sync') {
        db.link.faults = [...step.faults]
        await db.primary.syncNow().catch(() => {})
        if (several && step.faults.every((f) => f === 'none') && !db.link.offline) {
          // A round without faults syncs every reachable space, whatever happens to the others.
          const rows = await db.primary.runtime.database.table('spaces').toArray()
          if (db.link.offlineSpaces.size > 0) seen.cutOff++
          for (const row of rows as { space: string; cursor: number }[])
            if (!db.link.offlineSpaces.has(row.space))
              expect(
                row.cursor,
                `${db.tag}: space '${row.space}' not pulled to its head by a round without faults (unreachable: ${[...db.link.offlineSpaces].join(',') || 'none'})`,
              ).toBe(serverOf(row.space).head)
        }
      } else if (step.kind === 'offline') {
        if (step.space === null || step.space === undefined || !several) db.link.offline = step.offline
        else {
          const space = names[step.space % names.length] as string
          if (step.offline) db.link.offlineSpaces.add(space)
          else db.link.offlineSpaces.delete(space)
        }
      } else if (step.kind === 'hold') {
        db.link.pushHeld = step.held
      } else if (step.kind === 'reopen') {
        await db.reopen(step.bump)
      } else if (step.kind === 'forget') {
        // A user of one of the database's spaces (of any space when it is in none), forgotten in every space
        // the database is in. A failure (offline, held, a lost request or response) is fine: the servers' key
        // stores tell what was done.
        const joined = names.filter((n) => db.joined.has(n))
        const pool = joined.length > 0 ? joined : names
        const space = pool[step.space % pool.length] as string
        const subject = `${prefixOf(space)}u${step.user}`
        const ok = await db.primary.forgetSubject(subject).then(
          () => true,
          () => false,
        )
        forgets.push({ db: db.tag, space, subject, ok, member: db.joined.has(space) })
        if (ok) seen.forgetOk++
        else seen.forgetFailed++
        if (ok && db.joined.has(space))
          expect(
            serverOf(space).subjectKeys.get(subject),
            `${db.tag}: forgetSubject('${subject}') resolved, yet the key store of '${space}' did not forget it`,
          ).toBe('forgotten')
      } else if (step.kind === 'join') {
        const client = step.twin && db.twin ? db.twin : db.primary
        const candidates = names.filter((s) => !db.joined.has(s))
        const space = (candidates.length > 0 ? candidates : names)[step.space % (candidates.length || names.length)]
        await client.joinSpace(space as string, encryptionOf(space as string))
        db.joined.add(space as string)
        await db.expectMembership(`after joining '${space}'`)
      } else {
        const client = step.twin && db.twin ? db.twin : db.primary
        const candidates = db.joined.size > 0 ? [...db.joined].sort() : names
        const space = candidates[step.space % candidates.length] as string
        const label = `${db.tag} (${client === db.twin ? 'twin' : 'primary'}) leaving '${space}'${step.discard ? ' with discardPending' : ''}`
        if (!db.joined.has(space)) {
          const error = await client.leaveSpace(space).then(
            () => undefined,
            (e: unknown) => e,
          )
          expect(syncCode(error), `${label}, not joined`).toBe('NOT_JOINED')
          continue
        }
        const before = await contentsOf(db.primary, space)
        const onServer = new Set(serverOf(space).log.map((e) => e.id))
        let outcome: { discarded: number } | undefined
        let failure: unknown
        try {
          outcome = await client.leaveSpace(space, step.discard ? { discardPending: true } : {})
        } catch (error) {
          failure = error
        }
        if (failure !== undefined) {
          // Refused: nothing removed (a reactor may have added work meanwhile; nothing syncs here).
          if (step.discard) expect.fail(`${label} failed: ${String(failure)}`)
          expect(syncCode(failure), `${label}: ${String(failure)}`).toBe('UNSYNCED_WORK')
          seen.unsynced++
          const after = await contentsOf(db.primary, space)
          expect(after.pending.length, `${label}: refused, yet nothing is pending`).toBeGreaterThan(0)
          const kept = new Set(after.events.map((e) => JSON.stringify(e)))
          expect(
            before.events.filter((e) => !kept.has(JSON.stringify(e))),
            `${label}: refused, yet events changed`,
          ).toEqual([])
          const commands = new Map(after.commands.map((x) => [x.id, x.status]))
          expect(
            before.commands.filter((x) => commands.get(x.id) !== x.status).map((x) => x.id),
            `${label}: refused, yet commands changed`,
          ).toEqual([])
          for (const p of ['items', 'columns', 'handles'] as const)
            expect(after.rows[p], `${label}: refused, yet ${p} rows changed`).toEqual(before.rows[p])
          await db.expectMembership(`after ${label} was refused`)
          continue
        }
        if (!step.discard) {
          expect(
            before.pending.map((x) => x.id),
            `${label}: left although work was pending`,
          ).toEqual([])
          expect(outcome?.discarded, `${label}: discarded`).toBe(0)
        } else expect(outcome?.discarded, `${label}: discarded`).toBeGreaterThanOrEqual(before.pending.length)
        db.joined.delete(space)
        db.left.add(space)
        const after = await contentsOf(db.primary, space)
        expect(
          after.events.map((e) => e.id),
          `${label}: events left behind`,
        ).toEqual([])
        expect(
          after.commands.map((x) => x.id),
          `${label}: commands left behind`,
        ).toEqual([])
        for (const p of SPACE_SCOPED) expect(after.rows[p], `${label}: ${p} rows left behind`).toEqual([])
        await db.expectMembership(`after ${label}`)
        for (const x of executed) if (x.db === step.client && x.space === space) x.gone = true
        if (before.pending.length > 0)
          discarded.push({ db: db.tag, space, commandIds: new Set(before.pending.map((x) => x.id)), onServer })
      }
    }

    // Heal the network; sync and let async projections and reactors catch up until nothing moves.
    for (const db of dbs) {
      db.link.offline = false
      db.link.pushHeld = false
      db.link.offlineSpaces.clear()
      db.link.faults = []
    }
    const syncErrors: string[] = []
    for (let round = 0; round < 12; round++) {
      syncErrors.length = 0
      for (const db of dbs) {
        if (db.joined.size > 0) await db.primary.syncNow().catch((e) => syncErrors.push(`${db.tag}: ${String(e)}`))
        await settle(db)
      }
      const quiet = await Promise.all(
        dbs.map(async (db) => {
          const { pending } = await localLog(db.primary)
          const commands = await db.primary.runtime.database.table('commands').where('status').equals('pending').count()
          const rows = (await db.primary.runtime.database.table('spaces').toArray()) as {
            space: string
            cursor: number
          }[]
          return pending.length === 0 && commands === 0 && rows.every((r) => r.cursor === serverOf(r.space).head)
        }),
      )
      if (quiet.every(Boolean) && syncErrors.length === 0) {
        // One more round: the last one may have let a reactor append (its command is then pending again).
        const again = await Promise.all(dbs.map(async (db) => (await localLog(db.primary)).pending.length))
        if (again.every((n) => n === 0)) break
      }
    }
    for (const db of dbs)
      if (db.joined.size === 0)
        expect(syncCode(await db.primary.syncNow().catch((e: unknown) => e)), `${db.tag} joined no space`).toBe(
          'NO_SPACE',
        )

    // Each server's log: gapless, no duplicates, nothing it refuses.
    for (const [space, server] of servers) {
      const serverIds = server.log.map((e) => e.id)
      expect(new Set(serverIds).size, `duplicate ids on the server of '${space}'`).toBe(serverIds.length)
      expect(server.log.map((e) => e.seq)).toEqual(server.log.map((_, i) => i + 1))
      if (on('refuse'))
        expect(
          server.log.filter((e) => simRefusal(e)),
          `refused events stored in '${space}'`,
        ).toEqual([])
      const streams = server.log.filter(
        (e) =>
          !e.stream.startsWith(SYSTEM_STREAM_PREFIX) &&
          !e.stream.slice(e.stream.indexOf(':') + 1).startsWith(prefixOf(space)),
      )
      expect(
        streams.map((e) => e.stream),
        `streams of another space on the server of '${space}'`,
      ).toEqual([])
    }
    expect(twinSynced, 'the second runtime on a database synced').toEqual([])
    expect(syncErrors, 'sync still fails after the network healed').toEqual([])

    // What the servers store: no personal value in clear, ever; in an encrypted space, no title, handle or
    // personal value at all. A subject is forgotten in a space when its key store says so, and then once.
    const values = [...personal.values()].flatMap((p) => [...p.values])
    const forgotten = new Map<string, Set<string>>(names.map((space) => [space, new Set<string>()]))
    for (const [space, server] of servers) {
      const stored = JSON.stringify(server.log)
      expect(
        values.filter((v) => stored.includes(v)),
        `personal values in clear on the server of '${space}'`,
      ).toEqual([])
      if (encrypted.has(space))
        expect(
          [...titles, ...handles].filter((m) => stored.includes(m)),
          `plaintext on the server of encrypted space '${space}'`,
        ).toEqual([])
      for (const [subject, state] of server.subjectKeys) if (state === 'forgotten') forgotten.get(space)?.add(subject)
      expect(
        server.log.filter((e) => e.type === SUBJECT_FORGOTTEN).map((e) => (e.data as { subject: string }).subject),
        `$SubjectForgotten events on the server of '${space}'`,
      ).toEqual([...(forgotten.get(space) ?? [])])
    }
    const isForgotten = (space: string, subject: string) => forgotten.get(space)?.has(subject) === true
    /** The personal values of forgotten subjects found in a text, as `space subject: value`. */
    const forgottenIn = (text: string) =>
      [...personal.values()]
        .filter((p) => isForgotten(p.space, p.subject))
        .flatMap((p) => [...p.values].filter((v) => text.includes(v)).map((v) => `${p.space} ${p.subject}: ${v}`))

    const logs = await Promise.all(
      names.map(async (space) => {
        const key = encrypted.get(space)
        const form = key && encryption ? { key, hideTypes: encryption.hideTypes } : undefined
        return { space, log: await openedLog(space, serverOf(space), form) }
      }),
    )
    const logOf = (space: string) => logs.find((l) => l.space === space)?.log ?? []
    const expected = model(logs, wide)
    const expectedOf = (db: Database) =>
      model(
        logs.filter((l) => db.joined.has(l.space)),
        wide,
      )
    if (process.env.CAIRN_SIM_STATS) {
      const statuses = await Promise.all(
        executed.map(
          async (x) => (await dbs[x.db]?.primary.runtime.database.table('commands').get(x.commandId))?.status,
        ),
      )
      const count = (kind: Step['kind']) => scenario.steps.filter((st) => st.kind === kind).length
      const head = logs.reduce((n, l) => n + l.log.length, 0)
      console.log(
        `SIMSTATS spaces=${names.length} streams=${wide} encrypted=${encrypted.size}${encryption?.hideTypes ? '+types' : ''} forget=${scenario.forget === true} profiles=${logs.reduce((n, l) => n + l.log.filter((e) => e.type === 'ProfileSet').length, 0)} forgotten=${[...forgotten.values()].reduce((n, f) => n + f.size, 0)} events=${head} quarantined=${expected.quarantined.length} rejected=${statuses.filter((x) => x === 'rejected').length} refused=${executed.filter((x) => x.refused).length} notes=${logs.reduce((n, l) => n + l.log.filter((e) => e.type === 'Noted').length, 0)} reopens=${count('reopen')} twin=${scenario.twinOf >= 0} joins=${count('join')} leaves=${count('leave')} discarded=${discarded.reduce((n, d) => n + d.commandIds.size, 0)} ${Object.entries(
          seen,
        )
          .map(([k, v]) => `${k}=${v}`)
          .join(' ')} members=${dbs.map((d) => [...d.joined].join('+') || '-').join(',')}`,
      )
    }
    await oracle.syncNow()
    await within(oracle.whenProcessed(oracle.runtime.status.get().position), 5000, 'oracle whenProcessed')
    const oracleModels = await readModels(oracle)
    expect(forgottenIn(await dumpDatabase(oracle.runtime.database.name)), 'the oracle: forgotten data').toEqual([])
    expect(oracleModels, 'a fresh database fed the log by pull vs the model of the log').toEqual(expected.readModels)
    await expectQuarantine(oracle, expected.quarantined, 'quarantine of a fresh database fed the log')

    for (const [i, db] of dbs.entries()) {
      await db.expectMembership('at the end')
      const { pending } = await localLog(db.primary)
      expect(pending, `client ${i} still has pending events`).toEqual([])
      for (const space of names) {
        if (db.joined.has(space)) {
          const { log } = await localLog(db.primary, space)
          expect(log, `client ${i} log of '${space}'`).toEqual(logOf(space).map(shape))
          continue
        }
        // Not a member (any more): nothing of the space.
        const held = await contentsOf(db.primary, space)
        expect(
          held.events.map((e) => e.id),
          `client ${i} holds events of '${space}' (not joined)`,
        ).toEqual([])
        expect(
          held.commands.map((x) => x.id),
          `client ${i} holds commands of '${space}' (not joined)`,
        ).toEqual([])
        for (const p of SPACE_SCOPED)
          expect(held.rows[p], `client ${i} holds ${p} rows of '${space}' (not joined)`).toEqual([])
      }
      if (process.env.CAIRN_SIM_DEBUG) {
        for (const t of ['checkpoints', 'events', 'commands', 'spaces']) {
          console.log(`client ${i} ${t}:`, JSON.stringify(await db.primary.runtime.database.table(t).toArray()))
        }
      }
      const mine = expectedOf(db)
      const models = await readModels(db.primary)
      expect(models, `client ${i} read models`).toEqual(mine.readModels)
      // Personal data: a forgotten subject's fields read REDACTED, the others' their values; no table of the
      // database holds a value ever written for a forgotten subject.
      for (const row of models.profiles as { user: string; email: string; name: string; space: string }[]) {
        const fields = [row.email, row.name]
        if (isForgotten(row.space, row.user))
          expect(fields, `client ${i}: profile of forgotten ${row.user}`).toEqual([REDACTED, REDACTED])
        else
          expect(
            fields.filter((v) => !personal.get(`${row.space} ${row.user}`)?.values.has(v)),
            `client ${i}: profile of ${row.user}`,
          ).toEqual([])
      }
      expect(forgottenIn(await dumpDatabase(db.name)), `client ${i}: personal data of forgotten subjects`).toEqual([])
      for (const c of db.runtimes()) await expectQuarantine(c, mine.quarantined, `client ${i} quarantine`)
      for (const c of db.runtimes()) {
        const reactor = c.runtime.status.get().reactors.auditor
        expect(reactor?.state ?? 'running', `client ${i} reactor: ${JSON.stringify(reactor?.lastError)}`).not.toBe(
          'stopped',
        )
      }
    }

    // Every command that appended events ended confirmed, or rejected and reported; refused ones rejected.
    // (A command of a space its database left since went with the space.)
    for (const { db, commandId, refused, gone } of executed) {
      if (gone) continue
      const client = (dbs[db] as Database).primary
      const record = await client.runtime.database.table('commands').get(commandId)
      expect(refused ? ['rejected'] : ['confirmed', 'rejected'], `command ${commandId}`).toContain(record?.status)
      if (record?.status === 'rejected') {
        await expect
          .poll(
            () =>
              (dbs[db] as Database).reported.has(commandId) ||
              client.runtime.status.get().rejected.some((r) => r.commandId === commandId),
            { timeout: 1000 },
          )
          .toBe(true)
      }
    }

    // A discarded command reached no server, unless the server had accepted it before the leave.
    for (const d of discarded) {
      const late = serverOf(d.space).log.filter(
        (e) => d.commandIds.has(e.meta?.commandId as string) && !d.onServer.has(e.id),
      )
      expect(
        late.map((e) => `${e.id} (command ${String(e.meta?.commandId)})`),
        `${d.db}: commands discarded by leaving '${d.space}' reached its server afterwards`,
      ).toEqual([])
    }

    // The reactor reacted exactly once to each logical command that added an item (never twice after a rebase).
    if (on('reactor')) {
      const causes = new Map<string, number>()
      for (const { log } of logs)
        for (const e of log) {
          if (e.type === 'Noted') {
            const cause = (e.data as { cause: string }).cause
            causes.set(cause, (causes.get(cause) ?? 0) + 1)
          }
        }
      expect(
        [...causes].filter(([, n]) => n > 1),
        'reactions to one command',
      ).toEqual([])
      // A database that left the space may have taken its reaction (pending, or not run yet) with it.
      const leftBy = (commandId: string, space: string) =>
        dbs.find((db) => commandId.startsWith(`${db.tag}-`))?.left.has(space) ?? false
      const added = logs.flatMap(({ space, log }) =>
        log
          .filter((e) => e.type === 'ItemAdded')
          .map((e) => e.meta?.commandId as string)
          .filter((c) => !leftBy(c, space)),
      )
      expect(
        added.filter((c) => !causes.has(c)),
        'added items the reactor never noted',
      ).toEqual([])
    }

    // A rebuild of every projection from the database's own log gives the same rows and quarantine (the database
    // that left the most spaces, if any did).
    const db = dbs.reduce((a, b) => (b.left.size > a.left.size ? b : a))
    const bumped = Object.fromEntries(PROJECTIONS.map((p) => [p, db.versions[p] + 1])) as unknown as SimVersions
    await db.close()
    const rebuilt = createLocalClient(domainOf(bumped, wide), { name: db.name, now })
    try {
      await ready(rebuilt, 'rebuild')
      await within(rebuilt.whenProcessed(rebuilt.runtime.status.get().position), 5000, 'rebuild whenProcessed')
      const mine = expectedOf(db)
      expect(await readModels(rebuilt), `read models of ${db.tag} after a rebuild`).toEqual(mine.readModels)
      await expectQuarantine(rebuilt, mine.quarantined, `quarantine of ${db.tag} after a rebuild`)
    } finally {
      await rebuilt.close()
    }
  } finally {
    for (const db of dbs) await db.close().catch(() => {})
    await oracle.close()
  }
}

describe('sync simulation (property-based)', () => {
  const replay = process.env.CAIRN_SIM_REPLAY
  if (replay) {
    // Debugging aid: run only the printed counterexample.
    it('replays the scenario in CAIRN_SIM_REPLAY (a printed counterexample)', async () => {
      const parsed = JSON.parse(replay) as Scenario | [Scenario]
      await runScenario(Array.isArray(parsed) ? parsed[0] : parsed)
    }, 60_000)
    return
  }

  it(`converges to the servers' logs with faults, refusals, quarantine, upgrades, reactors, two runtimes on one database and several spaces; ${RUNS} runs, seed ${SEED}`, async () => {
    await fc.assert(fc.asyncProperty(scenarioArb, runScenario), { seed: SEED, numRuns: RUNS })
  }, 600_000)
})
