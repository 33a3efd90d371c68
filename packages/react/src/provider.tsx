import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { type ReactNode, useEffect, useMemo, useState } from 'react'
import { CairnContext, type CairnContextValue, type UntypedClient } from './context'
import { LiveQueries } from './live-queries'
import type { RegisteredClient } from './register'
import { connectSyncStatus, createSyncStatusStore } from './sync-status'

/** Props of `<CairnProvider>`. */
export interface CairnProviderProps {
  /** The Cairn client (`createClient<typeof domain>(worker)`); keep it stable for the provider's life. */
  client: RegisteredClient
  /**
   * The TanStack `QueryClient` to keep Cairn queries in. When omitted, the provider creates one whose queries
   * and mutations use `networkMode: 'always'` (the local database is reachable offline).
   */
  queryClient?: QueryClient
  /** The app. */
  children?: ReactNode
}

/** A `QueryClient` suited to Cairn: the local database answers offline, so nothing waits for the network. */
export function createCairnQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: { queries: { networkMode: 'always' }, mutations: { networkMode: 'always' } },
  })
}

/**
 * Makes a Cairn client available to `useQuery`, `useCommand`, `useSyncStatus` and `useCairn`, and provides
 * the TanStack `QueryClient` (so TanStack's own hooks work below it too).
 */
export function CairnProvider({ client, queryClient: given, children }: CairnProviderProps): ReactNode {
  const [own] = useState(createCairnQueryClient)
  const queryClient = given ?? own
  const value = useMemo<CairnContextValue>(() => {
    const untyped = client as unknown as UntypedClient
    return {
      cairn: client as CairnContextValue['cairn'],
      client: untyped,
      queryClient,
      liveQueries: new LiveQueries(untyped, queryClient),
      syncStatus: createSyncStatusStore(),
    }
  }, [client, queryClient])
  useEffect(() => connectSyncStatus(value.syncStatus, value.client), [value])
  return (
    <QueryClientProvider client={queryClient}>
      <CairnContext.Provider value={value}>{children}</CairnContext.Provider>
    </QueryClientProvider>
  )
}
