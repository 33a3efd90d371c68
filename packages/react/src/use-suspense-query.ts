import {
  type UseSuspenseQueryOptions,
  type UseSuspenseQueryResult,
  useSuspenseQuery as useTanstackSuspenseQuery,
} from '@tanstack/react-query'
import { useCairnContext } from './context'
import type { CairnQueryKey } from './live-queries'
import { liveQueryOptions } from './query-options'
import type { QueryArgAt, QueryError, QueryResultAt, RegisteredQueryPath } from './register'

/** TanStack options of a suspending Cairn query (no `enabled`, `placeholderData` or `throwOnError`). */
export type CairnSuspenseQueryOptions<TQueryFnData, TData = TQueryFnData> = Omit<
  UseSuspenseQueryOptions<TQueryFnData, QueryError, TData, CairnQueryKey>,
  'queryKey' | 'queryFn'
>

/**
 * `useQuery` for Suspense: suspends until the first result, then `data` is always defined and kept live.
 * Errors go to the nearest error boundary.
 */
export function useSuspenseQuery<P extends RegisteredQueryPath, TData = QueryResultAt<P>>(
  path: P,
  arg: QueryArgAt<P>,
  options?: CairnSuspenseQueryOptions<QueryResultAt<P>, TData>,
): UseSuspenseQueryResult<TData, QueryError> {
  const context = useCairnContext('useSuspenseQuery')
  return useTanstackSuspenseQuery(
    liveQueryOptions(context, path, arg, options) as UseSuspenseQueryOptions<
      QueryResultAt<P>,
      QueryError,
      TData,
      CairnQueryKey
    >,
    context.queryClient,
  )
}
