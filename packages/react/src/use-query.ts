import { type UseQueryOptions, type UseQueryResult, useQuery as useTanstackQuery } from '@tanstack/react-query'
import { useCairnContext } from './context'
import type { CairnQueryKey } from './live-queries'
import { liveQueryOptions } from './query-options'
import type { QueryArgAt, QueryError, QueryResultAt, RegisteredQueryPath } from './register'

/**
 * TanStack options of a Cairn query (`select`, `enabled`, `gcTime`, `placeholderData`, `throwOnError`,
 * `notifyOnChangeProps`, ...). The key and query function are Cairn's; `staleTime` defaults to `Infinity`
 * because the data is kept live.
 */
export type CairnQueryOptions<TQueryFnData, TData = TQueryFnData> = Omit<
  UseQueryOptions<TQueryFnData, QueryError, TData, CairnQueryKey>,
  'queryKey' | 'queryFn'
>

/**
 * Runs the query at `path` with `arg` and keeps its result live: a worker subscription pushes every changed
 * result into the TanStack cache, so commands need no invalidation. Components using the same path and
 * argument share one subscription, which ends when the query leaves the cache (`gcTime` after the last
 * unmount). A component re-renders only when what it reads of its own result changed.
 *
 * ```tsx
 * const { data: cards = [] } = useQuery('cards.byColumn', { board: 'b1', column: 'todo' })
 * ```
 */
export function useQuery<P extends RegisteredQueryPath, TData = QueryResultAt<P>>(
  path: P,
  arg: QueryArgAt<P>,
  options?: CairnQueryOptions<QueryResultAt<P>, TData>,
): UseQueryResult<TData, QueryError> {
  const context = useCairnContext('useQuery')
  return useTanstackQuery(
    liveQueryOptions(context, path, arg, options) as UseQueryOptions<
      QueryResultAt<P>,
      QueryError,
      TData,
      CairnQueryKey
    >,
    context.queryClient,
  )
}
