import type { Dexie, Table, Transaction } from 'dexie'
import type { StoredWireEvent } from '../protocol'
import type { LoadedDomain } from '../runtime/loaded-domain'
import { parseStream } from '../runtime/loaded-domain'
import type { Projecting } from '../runtime/project'
import type { WriteSink } from '../runtime/projector'
import type { QuarantinedEvent, RejectedCommand } from '../runtime/status'
import type { CommandRecord, EventRecord, WireForm } from '../store/records'

/** What applying a pull did. */
export interface PullOutcome {
  /** True when the pulled events were exactly our own pending prefix: confirmed in place, nothing rolled back. */
  fastPath: boolean
  /** Pulled events that were new to this database. */
  applied: number
  confirmedCommands: string[]
  rebasedCommands: string[]
  rejected: RejectedCommand[]
  /** Highest local position written. */
  lastPosition: number
  /** `aggregate.Type` of pulled events this code does not know (written by a newer app version): kept and synced. */
  unknownTypes: string[]
  /**
   * True when the pulled events could not change what is pending (other streams, other rows): they were applied
   * under the pending events, which were moved after them without being rolled back or re-applied.
   */
  commuted?: boolean
  /** Events a projection could not apply: quarantined, the rest applied. */
  quarantined: QuarantinedEvent[]
  /**
   * Spaces whose pulled events could not be stored because this database holds one of their streams (or event
   * ids) in another space: nothing of them was applied.
   */
  collisions: { space: string; message: string }[]
}

/** A command the server refused for good, with the server's reason. */
export interface Refusal {
  commandId: string
  code: string
  message: string
}

/** What the pull needs from its host. */
export interface PullDeps {
  db: Dexie
  loaded: LoadedDomain
  clientId: string
  newId: () => string
  now: () => number
}

/** The state one pull transaction works on. */
export interface PullTx {
  deps: PullDeps
  tx: Transaction
  events: Table<EventRecord>
  commands: Table<CommandRecord>
  writes: WriteSink
  projecting: Projecting
  outcome: PullOutcome
  /** Next free local position. */
  next: number
  /** `next` before this pull gave out any position. */
  firstFree: number
  /** Event ids the server confirmed in this pull (or an earlier one). */
  confirmed: Set<string>
}

export interface PendingState {
  pendingCommands: CommandRecord[]
  /** Pending events not yet confirmed, in local order. */
  pending: EventRecord[]
  /** The pending events left after the confirmed prefix. */
  stillPending: EventRecord[]
  /** Pulled events new to this database (or ours, not yet confirmed), without repeats. */
  fresh: (StoredWireEvent & { space: string })[]
  /** Events of pending commands confirmed by an earlier pull (a page boundary can split a command). */
  confirmedBefore: Set<string>
  /** Our pending events whose id the pulled log uses for another event (by id). */
  reused: Map<string, EventRecord>
  /** Ids of every event of a pending command, confirmed or not. */
  pendingIds: Set<string>
}

export function inlineOf(loaded: LoadedDomain, stream: string) {
  return loaded.projectionsOf(parseStream(stream).aggregate).filter((p) => p.mode === 'inline')
}

/** A pulled event, with the space it was pulled from. */
export type Pulled = StoredWireEvent & { space: string; wire?: WireForm | undefined }

/** A pulled event as the log stores it (confirmed: it has its server seq); its local position comes later. */
export function toRecord(e: Pulled): EventRecord {
  return {
    id: e.id,
    space: e.space,
    stream: e.stream,
    version: e.version,
    type: e.type,
    data: e.data as Record<string, unknown>,
    meta: (e.meta ?? {}) as unknown as EventRecord['meta'],
    gpos: e.seq,
    ...(e.wire === undefined ? {} : { wire: e.wire }),
  }
}
