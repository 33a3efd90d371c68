import type { SerializedCairnError } from '../domain/errors'
import type { QuarantineRecord } from '../store/records'
import type { RebuildProgress } from './rebuild'

/** What the runtime reports about itself; pushed to every listener on change. */
export interface RuntimeStatus {
  /** True once the database is open and every projection caught up. */
  ready: boolean
  /** A projection rebuild under way, with events done / total. */
  rebuilding: RebuildProgress | null
  /** Local commands not yet confirmed by a server. */
  pending: number
  /** The environment's idea of being online (`navigator.onLine`). */
  online: boolean
  /** Last local position committed. */
  position: number
  /** True when this runtime was configured with `sync`. */
  syncEnabled: boolean
  /** Sync paused by the app ("work offline"); shared by every tab of the database. */
  paused: boolean
  /** The syncing tab reaches the server (last request or live channel succeeded). */
  connected: boolean
  /** This tab's worker is the one that syncs (Web Locks election). */
  leader: boolean
  /** A push or pull is under way. */
  syncing: boolean
  /** When the last successful pull finished (ms since epoch). */
  lastSyncedAt: number | null
  /** The server's head (`seq` of its last event) as last seen, summed over the joined spaces. */
  head: number
  /** Each joined space: its sync state (cursor, server head, unsynced commands, last error). */
  spaces: Record<string, SpaceStatus>
  /** The last sync failure; null once a sync succeeds. Offline is not an error. */
  lastError: SerializedCairnError | null
  /** Commands the server's history made impossible, newest first, until dismissed. */
  rejected: RejectedCommand[]
  /**
   * `aggregate.Type` of synced events this code does not know (written by a newer app version on another
   * device). They are kept and synced, never dropped; handlers ignore them until the app is updated.
   */
  unknownEventTypes: string[]
  /** Each reactor / process manager: how far it got, and whether it is stopped by an error. */
  reactors: Record<string, ReactorStatus>
  /**
   * Events a projection could not apply (its handler threw, or a write broke a unique index), newest first:
   * the rest of the log was applied. They stay until a rebuild of that projection (bump its `version`)
   * applies them. Shared by every tab.
   */
  quarantined: QuarantinedEvent[]
  /** Whether the browser agreed to keep this origin's data (`navigator.storage.persist()`); null when unknown. */
  storagePersisted: boolean | null
  /** Failures outside commands and sync, e.g. a projection catch-up that storage refused; newest last, at most 20. */
  errors: RuntimeErrorReport[]
}

/** The sync state of one joined space. */
export interface SpaceStatus {
  /** Highest server `seq` of the space held locally. */
  cursor: number
  /** The space's head on the server, as last seen. */
  head: number
  /** This space's commands not yet confirmed by the server (what leaving it now would discard). */
  pending: number
  /** When this space last synced without error (ms since epoch). */
  lastSyncedAt: number | null
  /** This space's last sync failure (a refusal, a reset...); null once it syncs again. */
  lastError: SerializedCairnError | null
  /** True when the space's sync stopped for good (its server was reset): see `reuploadToServer`. */
  stopped: boolean
  /** Whether the space is end-to-end encrypted here (joined with `encryption`, or keys from the worker). */
  encrypted: boolean
  /** Ids of the space keys this database holds (the last one seals new events); empty in clear. */
  keyIds: string[]
}

/** An event one projection could not apply: a row of the durable `quarantine` table, as every tab sees it. */
export type QuarantinedEvent = QuarantineRecord

/** A failure the runtime reported instead of throwing (boot and background work never throw). */
export interface RuntimeErrorReport {
  /** Where: `catch-up:<projection>`, `boot`, ... */
  where: string
  code: string
  message: string
  at: number
}

/** The state of one reactor. */
export interface ReactorStatus {
  /** `running` (caught up or working), `retrying` after an error, `stopped` by an error (`onError: 'stop'`). */
  state: 'running' | 'retrying' | 'stopped'
  /** Checkpoint: local position, or server seq for `confirmed` reactors. */
  position: number
  lastError: { message: string; eventId: string; type: string } | null
  /** Events skipped after an error (`onError: 'skip'`). */
  skipped: number
}

/** A command the server's history made impossible: stored durably, shown until dismissed. */
export interface RejectedCommand {
  commandId: string
  /** The space of the command's stream. */
  space: string
  /** The stream the command ran on, `<aggregate>:<id>`. */
  stream: string
  path: string
  input: unknown
  code: string
  message: string
  /** When the rejection was decided (ms since epoch). */
  at: number
}

/** The sync part of the status, as the syncing tab shares it with the others. */
export type SharedSyncStatus = Pick<
  RuntimeStatus,
  'connected' | 'syncing' | 'lastSyncedAt' | 'head' | 'lastError' | 'spaces'
>

/** The status before anything is known. */
export function initialStatus(online: boolean, syncEnabled: boolean): RuntimeStatus {
  return {
    ready: false,
    rebuilding: null,
    pending: 0,
    online,
    position: 0,
    syncEnabled,
    paused: false,
    connected: false,
    leader: false,
    syncing: false,
    lastSyncedAt: null,
    head: 0,
    spaces: {},
    lastError: null,
    rejected: [],
    unknownEventTypes: [],
    reactors: {},
    quarantined: [],
    errors: [],
    storagePersisted: null,
  }
}

/** Holds the status and notifies listeners when it changes. */
export class StatusHub<S extends object> {
  private listeners = new Set<(status: S) => void>()
  constructor(private current: S) {}

  get(): S {
    return this.current
  }

  update(patch: Partial<S>): void {
    let changed = false
    for (const [k, v] of Object.entries(patch)) {
      if ((this.current as Record<string, unknown>)[k] !== v) changed = true
    }
    if (!changed) return
    this.current = { ...this.current, ...patch }
    for (const l of this.listeners) l(this.current)
  }

  subscribe(listener: (status: S) => void): () => void {
    this.listeners.add(listener)
    listener(this.current)
    return () => this.listeners.delete(listener)
  }
}
