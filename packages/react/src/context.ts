import type { CairnClient, CairnError, CommandRequest, CommandResult, RuntimeStatus } from '@cairn/core'
import type { QueryClient } from '@tanstack/react-query'
import { createContext, useContext } from 'react'
import type { LiveQueries } from './live-queries'
import type { RegisteredDomain } from './register'
import type { SyncStatusStore } from './sync-status'

/** The client as the hooks call it: by any path, with untyped inputs and results. Internal. */
export interface UntypedClient {
  execute(path: string, request: CommandRequest): Promise<CommandResult>
  subscribe(
    path: string,
    arg: unknown,
    listener: (result: unknown) => void,
    onError?: (error: CairnError) => void,
  ): () => void
  subscribeStatus(listener: (status: RuntimeStatus) => void): () => void
}

/** What `<CairnProvider>` gives its descendants. Internal. */
export interface CairnContextValue {
  /** The client as given to the provider. */
  cairn: CairnClient<RegisteredDomain>
  client: UntypedClient
  queryClient: QueryClient
  liveQueries: LiveQueries
  syncStatus: SyncStatusStore
}

export const CairnContext = createContext<CairnContextValue | null>(null)

/** The provider's value; throws a message that says what to do when there is no provider. */
export function useCairnContext(hook: string): CairnContextValue {
  const value = useContext(CairnContext)
  if (!value) {
    throw new Error(
      `${hook}() must be called inside <CairnProvider client={cairn}>. Wrap your app: ` +
        `<CairnProvider client={createClient<typeof domain>(worker)}><App /></CairnProvider>`,
    )
  }
  return value
}

/** The Cairn client given to `<CairnProvider>`, for imperative use (`execute`, `query`, `whenProcessed`, ...). */
export function useCairn(): CairnClient<RegisteredDomain> {
  return useCairnContext('useCairn').cairn
}
