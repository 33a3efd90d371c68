import { isCairnError } from '@cairn/core'
import type { CairnContextValue } from './context'
import { type CairnQueryKey, cairnQueryKey } from './live-queries'

/** Cairn errors are deterministic (unknown path, bad argument, handler bug), except storage failures. */
function retryTransient(failureCount: number, error: unknown): boolean {
  return (!isCairnError(error) || error.name === 'StorageError') && failureCount < 3
}

/**
 * The options every Cairn query starts from: data kept live by a worker subscription, hence never stale;
 * the local database is reachable offline. The caller's options win, except the key and query function.
 */
export function liveQueryOptions<O extends object>(
  context: CairnContextValue,
  path: string,
  arg: unknown,
  options: O | undefined,
) {
  return {
    staleTime: Number.POSITIVE_INFINITY,
    networkMode: 'always' as const,
    retry: retryTransient,
    ...options,
    queryKey: cairnQueryKey(path, arg) as CairnQueryKey,
    queryFn: context.liveQueries.fetch,
  }
}
