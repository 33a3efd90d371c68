import type { RuntimeStatus, SerializedCairnError } from '@cairn/core'
import { createStore, type StoreApi } from 'zustand/vanilla'

/**
 * Sync fields a runtime with a server reports. Until sync exists they keep these defaults; once the runtime
 * sends them (as part of its status), they flow through unchanged, and the runtime's own types win.
 */
export interface SyncFields {
  /** Connected to the sync server. */
  connected: boolean
  /** A push or pull is under way. */
  syncing: boolean
  /** This tab leads sync for the database. */
  leader: boolean
  /** When the last sync round finished (epoch ms). */
  lastSyncedAt: number | null
  /** The server's head position, when known. */
  head: number | null
  /** The last sync failure. */
  lastError: SerializedCairnError | null
  /** Local commands the server rejected. */
  rejected: readonly unknown[]
}

/** What `useSyncStatus` reads: the runtime status (ready, pending, online, ...) plus the sync fields. */
export type SyncStatus = Omit<SyncFields, keyof RuntimeStatus> & RuntimeStatus

/** A zustand vanilla store of the sync status. */
export type SyncStatusStore = StoreApi<SyncStatus>

function initialStatus(): SyncStatus {
  return {
    ready: false,
    rebuilding: null,
    pending: 0,
    online: typeof navigator === 'undefined' ? true : navigator.onLine,
    position: 0,
    connected: false,
    syncing: false,
    leader: false,
    lastSyncedAt: null,
    head: null,
    lastError: null,
    rejected: [],
  }
}

/** Creates the store; it stays at its defaults until `connectSyncStatus` feeds it. */
export function createSyncStatusStore(): SyncStatusStore {
  return createStore<SyncStatus>()(initialStatus)
}

/** Feeds `store` from the client's status; returns the function that stops it. */
export function connectSyncStatus(
  store: SyncStatusStore,
  client: { subscribeStatus(listener: (status: RuntimeStatus) => void): () => void },
): () => void {
  return client.subscribeStatus((status) => store.setState(status as Partial<SyncStatus>))
}
