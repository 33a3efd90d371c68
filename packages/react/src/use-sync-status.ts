import { useStore } from 'zustand'
import { useCairnContext } from './context'
import type { SyncStatus } from './sync-status'

const identity = <T>(status: SyncStatus): T => status as T

/**
 * Reads the sync status: online, pending count, connected, syncing, last synced, last error, rejected
 * commands. Pass a selector to re-render only when that slice changes (compared with `Object.is`; wrap a
 * selector returning a new object in zustand's `useShallow`).
 *
 * ```tsx
 * const pending = useSyncStatus((s) => s.pending)
 * ```
 */
export function useSyncStatus(): SyncStatus
export function useSyncStatus<T>(selector: (status: SyncStatus) => T): T
export function useSyncStatus<T>(selector?: (status: SyncStatus) => T): T | SyncStatus {
  return useStore(useCairnContext('useSyncStatus').syncStatus, selector ?? identity<T>)
}
