/**
 * @cairn/react — React bindings for Cairn on TanStack Query and zustand.
 *
 * - `<CairnProvider client={cairn}>` once at the root.
 * - `useQuery(path, arg)` / `useSuspenseQuery`: live query results.
 * - `useCommand(path)`: a mutation that executes a command.
 * - `useSyncStatus(selector?)`: online, pending, sync state.
 * - `useCairn()`: the client, for imperative use.
 * - Register the domain for types by path: `declare module '@cairn/react' { interface Register { domain: typeof domain } }`.
 */
export { useCairn } from './context'
export { type CairnQueryKey, cairnQueryKey } from './live-queries'
export { CairnProvider, type CairnProviderProps, createCairnQueryClient } from './provider'
export type * from './register'
export {
  connectSyncStatus,
  createSyncStatusStore,
  type SyncStatus,
  type SyncStatusStore,
} from './sync-status'
export { type CairnCommandOptions, useCommand } from './use-command'
export { type CairnQueryOptions, useQuery } from './use-query'
export { type CairnSuspenseQueryOptions, useSuspenseQuery } from './use-suspense-query'
export { useSyncStatus } from './use-sync-status'
