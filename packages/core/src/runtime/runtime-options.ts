/**
 * The runtime's options (`new Runtime(domain, options)`, `serve(domain, options)`) and what the runtime makes of
 * them: the database name and the environment commands run in.
 */
import type { AnyDomain } from '../domain/domain'
import { uuidv7 } from '../domain/ids'
import type { IndexedDbDeps } from '../store/open'
import type { SyncOptions } from '../sync/engine'
import type { RuntimeEnv } from './executor'
import type { RebuildProgress } from './rebuild'

/** Options of a runtime (and of `serve` in a worker). */
export interface RuntimeOptions extends IndexedDbDeps {
  /** Database name; one database per app (and per user, if you like). Defaults to `cairn`. */
  name?: string
  /** Clock, injectable for tests. */
  now?: () => number
  /** Id generator for event and command ids (UUIDv7 by default), injectable for tests. */
  newId?: () => string
  /** Capacity of the in-memory aggregate state cache (streams). Defaults to 1000. */
  stateCacheSize?: number
  /** Record before-images of read-model rows for each pending event (needed by sync's rebase). */
  recordUndo?: boolean
  /** Called with rebuild progress (events done / total) while a projection is rebuilt. */
  onProgress?: (progress: RebuildProgress) => void
  /** Sync with a server: `{ url, space, token }` (see SyncOptions). Turns on the undo log. */
  sync?: SyncOptions
  /**
   * Ask the browser to keep this origin's data instead of evicting it under storage pressure
   * (`navigator.storage.persist()`; the page client asks too, since a worker cannot). Default true.
   * `status.storagePersisted` tells whether it was granted.
   */
  persistStorage?: boolean
}

/** The database name: `cairn` unless the options name one. */
export function databaseName(options: RuntimeOptions): string {
  return options.name ?? 'cairn'
}

/**
 * The environment commands run in (the client id is set at boot). With sync a command may write to the joined
 * spaces only (`joined`), without it to any space.
 */
export function runtimeEnv(domain: AnyDomain, options: RuntimeOptions, joined: () => ReadonlySet<string>): RuntimeEnv {
  return {
    clientId: '',
    keyRange: options.IDBKeyRange ?? globalThis.IDBKeyRange,
    now: options.now ?? Date.now,
    newId: options.newId ?? (() => uuidv7()),
    recordUndo: options.recordUndo ?? options.sync !== undefined,
    spaces: {
      joined: () => (options.sync ? joined() : undefined),
      spaceOf: domain.spaceOf,
    },
  }
}
