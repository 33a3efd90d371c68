import type { StoredWireEvent, StreamConflict, WireEvent } from '@cairn/core/protocol'

/** Result of {@link SyncStorage.append}: the whole batch is stored, or none of it. */
export type AppendResult =
  | {
      ok: true
      /** One entry per event of the batch, in batch order; retried events keep their original `seq`. */
      accepted: { id: string; seq: number }[]
      /** The space's head after the append. */
      head: number
      /** The events actually written by this call (empty for a pure retry), for live fan-out. */
      stored: StoredWireEvent[]
    }
  | {
      ok: false
      code: 'CONFLICT'
      /** First mismatching event of every conflicting stream. */
      streams: StreamConflict[]
      head: number
    }
  | {
      ok: false
      code: 'ID_REUSED'
      /** Ids already stored with different content. */
      ids: string[]
      head: number
    }

/** What a live listener receives after a commit in a space. */
export interface LiveNotification {
  /** The space's head after the commit; absent for a bare "something may have changed" poke (e.g. after a reconnect). */
  head?: number
  /**
   * The committed events, when the adapter has them at hand (same process). Absent for notifications
   * coming from another instance (PostgreSQL NOTIFY): listeners then read from storage.
   */
  events?: StoredWireEvent[]
}

/**
 * A subject's key in a space (crypto-shredding): what its personal data is encrypted with. Both parts are random and
 * base64url without padding.
 */
export interface SubjectKeyMaterial {
  /** The key's id: 16 random bytes. */
  kid: string
  /** The key: 32 random bytes (AES-256-GCM). */
  key: string
}

/** What a space holds for a subject: its key, or `'forgotten'` (its key was destroyed; none is ever created again). */
export type SubjectKeyState = SubjectKeyMaterial | 'forgotten'

/** Called after each commit in a subscribed space. Must not throw. */
export type LiveListener = (notification: LiveNotification) => void

/**
 * A per-space, totally ordered event log. `seq` is 1, 2, 3, ... per space, assigned under a
 * per-space lock at commit: no gaps, no duplicates, and a reader never sees seq N+1 before N.
 */
export interface SyncStorage {
  /** Human-readable description for logs, e.g. `sqlite ./data/cairn.db`. Never contains secrets. */
  readonly description: string
  /**
   * Appends a batch atomically. An event whose id is already stored with identical content is
   * accepted again with its original seq; each new event's `version` must be its stream's stored
   * version + 1 (counting earlier events of the same batch). Events must already be validated.
   */
  append(space: string, clientId: string, events: readonly WireEvent[]): Promise<AppendResult>
  /**
   * Events with `seq > after`, in seq order, at most `limit`; with `maxBytes`, also stops after the event that
   * brings the JSON text of the events' `data` and `meta` read so far to `maxBytes` or more (so the first event
   * always comes, however large).
   */
  read(space: string, after: number, limit: number, maxBytes?: number): Promise<StoredWireEvent[]>
  /**
   * The stored events of the space among `ids` (any order; unknown ids are left out). Lets the server accept an
   * identical retry of a stored event without judging it again by rules that may have changed since. Optional:
   * without it, a retry is validated and authorized again like a new event.
   */
  find?(space: string, ids: readonly string[]): Promise<StoredWireEvent[]>
  /**
   * The keys of `subjects` in `space`, by subject: its key, or `'forgotten'`; a subject with neither is left out.
   * With `create`, a subject that has neither gets a key made by `create` and stored (atomically: concurrent calls,
   * from this instance or another sharing the storage, all return the one key stored first; a subject being
   * forgotten concurrently ends forgotten, with no key left behind).
   */
  subjectKeys(
    space: string,
    subjects: readonly string[],
    create?: () => SubjectKeyMaterial,
  ): Promise<Map<string, SubjectKeyState>>
  /**
   * Destroys the key of `subject` in `space` (its row is deleted, not flagged) and records that the subject is
   * forgotten, so no key is ever created for it again in that space. Idempotent; a subject that never had a key is
   * recorded as forgotten too. What remains on disk depends on the adapter (see the README).
   */
  forgetSubject(space: string, subject: string): Promise<void>
  /** Highest seq of the space (0 when empty). */
  head(space: string): Promise<number>
  /** Random UUID fixed for the life of the storage. */
  backendId(): Promise<string>
  /** Calls `listener` after every commit in `space` (from any instance sharing the storage). Returns unsubscribe. */
  subscribe(space: string, listener: LiveListener): () => void
  /** Releases connections and files. */
  close(): Promise<void>
}
