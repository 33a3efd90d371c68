/**
 * One run of a scenario: what it holds (a server per space, the databases, the oracle: a fresh database fed the
 * servers' logs by pull; what the steps recorded for the checks), how it starts (each space's boards, synced
 * everywhere) and how the network heals at the end (sync until nothing moves).
 */

import { createLocalClient } from '../../src/client/local-client'
import type { SpaceKey } from '../../src/crypto/keys'
import { SyncError } from '../../src/domain/errors'
import type { JoinSpaceOptions } from '../../src/sync/engine'
import { spacesTransport } from '../../src/sync/transport'
import { MemorySyncServer } from '../../src/testing/memory-sync-server'
import { BASE_VERSIONS, simRefusal } from '../fixtures/sim-domain'
import { freshName } from '../helpers'
import { type Client, DEFAULT_SPACE, domainOf, prefixOf, spaceNames } from './commands'
import { Database, settle } from './database'
import { on } from './knobs'
import { localLog, spaceKeyOf } from './logs'
import { POOLS, type Scenario } from './scenario'

/** A command that appended events: its database, space, and whether the server must refuse it. */
export interface Executed {
  db: number
  commandId: string
  space: string
  refused: boolean
  /** Its database left the space since: the journal entry went with it. */
  gone: boolean
}

/** Commands discarded by a leave, and the server's events of that space at that moment. */
export interface Discarded {
  db: string
  space: string
  commandIds: Set<string>
  onServer: Set<string>
}

export const syncCode = (error: unknown) => (error instanceof SyncError ? error.code : String(error))

/** A run in progress: everything the steps (`steps.ts`) act on and the invariants (`invariants.ts`) check. */
export interface Run {
  readonly scenario: Scenario
  /** The spaces: `default` alone (a single-space run), or `s0`, `s1`, ... */
  readonly names: string[]
  readonly several: boolean
  /** Dimension `streams`. */
  readonly wide: boolean
  /** One in-memory server per space. */
  readonly servers: Map<string, MemorySyncServer>
  readonly serverOf: (space: string) => MemorySyncServer
  /** Dimension `encrypted`: the scenario's choice, and the key of each encrypted space. */
  readonly encryption: NonNullable<Scenario['encrypted']> | null
  readonly encrypted: Map<string, SpaceKey>
  readonly encryptionOf: (space: string) => JoinSpaceOptions | undefined
  /** What a second, non-syncing runtime tried to sync (nothing, ever). */
  readonly twinSynced: string[]
  readonly dbs: Database[]
  /** Personal values written per subject (`<space> <subject>`), whatever became of the command. */
  readonly personal: Map<string, { space: string; subject: string; values: Set<string> }>
  readonly remember: (space: string, subject: string, values: { email: string; name: string }) => void
  /** Steps `forget`: what each asked, and whether `forgetSubject` resolved. */
  readonly forgets: { db: string; space: string; subject: string; ok: boolean; member: boolean }[]
  readonly executed: Executed[]
  readonly discarded: Discarded[]
  /** What the run exercised (CAIRN_SIM_STATS). */
  readonly seen: Record<'invalid' | 'unsynced' | 'cutOff' | 'omitted' | 'forgetOk' | 'forgetFailed', number>
  /** A fresh database that only pulls: its read models must equal the model of the servers' logs. */
  readonly oracle: Client
}

/** The servers, the databases (not open yet) and the oracle of a scenario. */
export async function createRun(scenario: Scenario): Promise<Run> {
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
  return {
    scenario,
    names,
    several,
    wide,
    servers,
    serverOf,
    encryption,
    encrypted,
    encryptionOf,
    twinSynced,
    dbs,
    personal,
    remember,
    forgets,
    executed,
    discarded,
    seen,
    oracle,
  }
}

/** Opens the databases, creates each space's boards and syncs them everywhere; some databases hold their pushes. */
export async function startRun(run: Run): Promise<void> {
  const { scenario, names, several, wide, encrypted, encryptionOf, dbs, oracle } = run
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
}

/** The end of a run's faults: returns the sync errors of the last round (none expected). */
export async function healNetwork(run: Run): Promise<string[]> {
  const { dbs, serverOf } = run
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
  return syncErrors
}
