import { initialStatus, type RuntimeStatus } from '@cairn/core'
import { createStore, type StoreApi } from 'zustand/vanilla'

/** What `useSyncStatus` reads: the runtime status — ready, rebuild progress, pending count, online — and the sync
 * fields (connected, leader, syncing, last synced, head, last error, rejected commands). */
export type SyncStatus = RuntimeStatus

/** A zustand vanilla store of the sync status. */
export type SyncStatusStore = StoreApi<SyncStatus>

/** Creates the store; it stays at its defaults until `connectSyncStatus` feeds it. */
export function createSyncStatusStore(): SyncStatusStore {
  return createStore<SyncStatus>()(() =>
    initialStatus(typeof navigator === 'undefined' ? true : navigator.onLine, false),
  )
}

/** Feeds `store` from the client's status; returns the function that stops it. */
export function connectSyncStatus(
  store: SyncStatusStore,
  client: { subscribeStatus(listener: (status: RuntimeStatus) => void): () => void },
): () => void {
  return client.subscribeStatus((status) => store.setState(status))
}
