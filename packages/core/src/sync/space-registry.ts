/**
 * The joined spaces as this tab knows them: one `SpaceSync` per row of the `spaces` table (the database is the
 * truth: another tab may join, leave or sync), and every space joined and not left through this tab (what a lost
 * database joins again). Joining, leaving and joining again after a lost database go through here; a change of
 * the joined set (or of a space's token) is reported to `onChange`.
 */
import type { Dexie } from 'dexie'
import { type SerializedCairnError, SyncError } from '../domain/errors'
import type { LoadedDomain } from '../runtime/loaded-domain'
import { isSpaceName } from '../runtime/space-choice'
import type { SpaceRecord } from '../store/records'
import { type LeaveSpaceOptions, type LeaveSpaceResult, removeSpace } from './leave-space'
import {
  cipherOf,
  type JoinEncryption,
  mergeEncryption,
  type SpaceCipher,
  type WorkerSpaceEncryption,
} from './space-encryption'
import { ServerResetError } from './sync-errors'

/** Options of `joinSpace`. */
export interface JoinSpaceOptions {
  /** The space's own bearer token (kept in the database, shared by tabs); else `getToken(space)` or the sync token. */
  token?: string
  /**
   * Encrypt the space end to end (kept in the database, shared by tabs): its events' data is sealed before it is
   * pushed and opened after it is pulled; the server only ever holds ciphertext. Given again, the keys are added
   * to the space's keys (rotation, or a key that arrived late). Encryption cannot be turned off again.
   */
  encryption?: JoinEncryption
}

/** One joined space, as the syncing engine tracks it. */
export interface SpaceSync {
  space: string
  /** When the space was joined: a space left and joined again is a new entry (nothing of the old one kept). */
  joinedAt: number
  cursor: number
  backendId: string | undefined
  token: string | undefined
  /** Why this space's sync stopped for good (a server reset), until re-upload. */
  stopped: Error | undefined
  head: number
  lastSyncedAt: number | null
  lastError: SerializedCairnError | null
  /** Its end-to-end encryption; undefined for a space in clear. */
  cipher: SpaceCipher | undefined
}

/** What the registry needs of the engine's host. */
export interface SpaceRegistryHost {
  db: Dexie
  loaded: LoadedDomain
  /** Undo is recorded for pending events (a rebuild on leave records it again). */
  recordUndo: boolean
  now: () => number
  /** Keys of encrypted spaces supplied in the worker (`sync.encryption`). */
  encryption?: ((space: string) => WorkerSpaceEncryption | undefined) | undefined
}

export class SpaceRegistry {
  private readonly spaces = new Map<string, SpaceSync>()
  /** Every space joined and not left through this engine: what a lost database joins again. */
  private readonly remembered = new Map<string, Pick<SpaceRecord, 'backendId' | 'token' | 'encryption'>>()

  constructor(
    private readonly host: SpaceRegistryHost,
    /** The joined spaces changed, or a joined space's token did. */
    private readonly onChange: () => void,
  ) {}

  /** The joined spaces by name: always this same map, kept up to date. */
  get all(): ReadonlyMap<string, SpaceSync> {
    return this.spaces
  }

  get(space: string): SpaceSync | undefined {
    return this.spaces.get(space)
  }

  /** The joined spaces (as this tab last read them). */
  joined(): ReadonlySet<string> {
    return new Set(this.spaces.keys())
  }

  /** Spaces a round syncs: joined, and not stopped by a server reset. */
  active(): SpaceSync[] {
    return [...this.spaces.values()].filter((s) => s.stopped === undefined)
  }

  /** Joins each of `spaces` not joined yet (the configured ones, at start). */
  async ensure(spaces: readonly string[]): Promise<void> {
    await this.host.db.transaction('rw', ['spaces'], async (tx) => {
      const table = tx.table<SpaceRecord>('spaces')
      for (const space of spaces)
        if (!(await table.get(space))) await table.put({ space, cursor: 0, joinedAt: this.host.now() })
    })
  }

  /** Reads the spaces table: the database is the truth (another tab may have joined, left or synced). */
  async load(): Promise<void> {
    this.adopt(await this.host.db.table<SpaceRecord>('spaces').toArray())
  }

  /** Makes the in-memory spaces match the table's rows (cursors and tokens from the rows). */
  adopt(rows: SpaceRecord[]): void {
    const seen = new Set<string>()
    let changed = false
    for (const row of rows) {
      seen.add(row.space)
      this.remembered.set(row.space, { backendId: row.backendId, token: row.token, encryption: row.encryption })
      const known = this.spaces.get(row.space)
      if (known && known.joinedAt === row.joinedAt) {
        known.cursor = row.cursor
        // A new token (after a 401 or 403): try again now rather than after the long retry delay.
        if (known.token !== row.token) changed = true
        known.token = row.token
        if (known.backendId === undefined) known.backendId = row.backendId
        const cipher = cipherOf(row, this.host.encryption)
        // New keys: the events held for want of one may open now.
        if (cipher?.fingerprint !== known.cipher?.fingerprint) changed = true
        known.cipher = cipher
        continue
      }
      changed = true
      this.spaces.set(row.space, {
        space: row.space,
        joinedAt: row.joinedAt,
        cursor: row.cursor,
        backendId: row.backendId,
        token: row.token,
        stopped: undefined,
        head: 0,
        lastSyncedAt: null,
        lastError: null,
        cipher: cipherOf(row, this.host.encryption),
      })
    }
    for (const space of [...this.spaces.keys()])
      if (!seen.has(space)) {
        this.spaces.delete(space)
        changed = true
      }
    if (!changed) return
    this.onChange()
  }

  /** Joins a space (kept across reloads, shared by tabs): the syncing tab pulls it. */
  async join(space: string, options: JoinSpaceOptions = {}): Promise<void> {
    if (!isSpaceName(space))
      throw new SyncError('INVALID_SPACE', `joinSpace: invalid space name '${String(space)}'`, { space })
    const table = this.host.db.table<SpaceRecord>('spaces')
    await this.host.db.transaction('rw', table, async () => {
      const row = await table.get(space)
      const token = options.token ?? row?.token
      const encryption =
        options.encryption === undefined ? row?.encryption : mergeEncryption(space, options.encryption, row?.encryption)
      await table.put({
        ...(row ?? { space, cursor: 0, joinedAt: this.host.now() }),
        ...(token === undefined ? {} : { token }),
        ...(encryption === undefined ? {} : { encryption }),
      })
    })
    await this.load()
  }

  /**
   * Leaves a space: removes its events, commands and derived rows (see `removeSpace`). Fails with
   * `UNSYNCED_WORK` when some of its work is not synced, unless `discardPending`.
   */
  async leave(space: string, options: LeaveSpaceOptions = {}): Promise<LeaveSpaceResult> {
    if (!this.spaces.has(space) && !(await this.holds(space)))
      throw new SyncError('NOT_JOINED', `leaveSpace: space '${space}' is not joined`, { space })
    const { db, loaded, recordUndo, now } = this.host
    const result = await removeSpace(db, loaded, space, { ...options, recordUndo, now })
    this.remembered.delete(space)
    await this.load()
    return result
  }

  /** Whether the database holds anything of `space` (joined, or left behind by a command racing a leave). */
  private async holds(space: string): Promise<boolean> {
    const db = this.host.db
    const [row, events, commands] = await Promise.all([
      db.table('spaces').get(space),
      db.table('events').where('space').equals(space).count(),
      db.table('commands').where('space').equals(space).count(),
    ])
    return row !== undefined || events > 0 || commands > 0
  }

  /** The local database was lost and re-created empty: joins the same spaces again, every cursor at 0. */
  async rejoin(): Promise<void> {
    const rows = [...this.remembered].map(
      ([space, s]): SpaceRecord => ({
        space,
        cursor: 0,
        joinedAt: this.host.now(),
        ...(s.backendId === undefined ? {} : { backendId: s.backendId }),
        ...(s.token === undefined ? {} : { token: s.token }),
        ...(s.encryption === undefined ? {} : { encryption: s.encryption }),
      }),
    )
    await this.host.db.table<SpaceRecord>('spaces').bulkPut(rows)
    await this.load()
    for (const s of this.spaces.values()) s.cursor = 0
  }

  /**
   * Checks the server's identity in an answer for `s`: the first one seen is adopted (and kept in the database);
   * another one means the server was reset (`ServerResetError`).
   */
  async checkBackend(s: SpaceSync, backendId: string): Promise<void> {
    if (s.backendId === backendId) return
    if (s.backendId === undefined) {
      // Adopted once it is saved: a failed save is retried with the next answer.
      await this.host.db.table<SpaceRecord>('spaces').update(s.space, { backendId })
      s.backendId = backendId
      return
    }
    throw new ServerResetError(s.backendId, backendId, s.space)
  }
}
