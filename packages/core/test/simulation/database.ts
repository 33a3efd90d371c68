/**
 * One simulated device: a local database with its syncing runtime (and maybe a second, non-syncing one), on an
 * injected clock; and waiting for it (opening, answers within a time limit, async work caught up).
 */

import { expect } from 'vitest'
import { createLocalClient } from '../../src/client/local-client'
import type { JoinSpaceOptions, SyncOptions } from '../../src/sync/engine'
import { SyncNetworkError, spacesTransport } from '../../src/sync/transport'
import type { MemorySyncServer } from '../../src/testing/memory-sync-server'
import { BASE_VERSIONS, type SimVersions } from '../fixtures/sim-domain'
import { freshName } from '../helpers'
import { type Client, DEFAULT_SPACE, domainOf } from './commands'
import { on } from './knobs'
import { localLog } from './logs'
import { FaultyTransport, Link } from './network'
import { PROJECTIONS } from './read-models'

/** Injected clock and ids: runs replay exactly from the seed. */
let clock = 1_800_000_000_000
export const now = () => ++clock

/** One local database: its syncing runtime, maybe a second runtime on it, and what the test knows of it. */
export class Database {
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

export async function ready(c: Client, who: string): Promise<void> {
  try {
    await c.runtime.ready
  } catch (error) {
    throw new Error(`${who}: opening the database failed: ${String(error)}`)
  }
}

export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
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

/** Waits until the async projection and the reactor caught up with the database's log. */
export async function settle(db: Database): Promise<void> {
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
