import type { CommandResult } from '@cairn/core'
import { type UseMutationOptions, type UseMutationResult, useMutation } from '@tanstack/react-query'
import { useCairnContext } from './context'
import type { CommandError, CommandRequestAt, RegisteredCommandPath } from './register'

/** TanStack mutation options of a Cairn command (`onSuccess`, `onError`, `onMutate`, `retry`, `scope`, ...). */
export type CairnCommandOptions<P extends string, TOnMutateResult = unknown> = Omit<
  UseMutationOptions<CommandResult, CommandError<P>, CommandRequestAt<P>, TOnMutateResult>,
  'mutationFn'
>

/**
 * A TanStack mutation that executes the command at `path`. `mutate` takes the command request
 * (`{ id, input, expectedVersion?, commandId? }`); the error is typed by the command's rejection codes.
 * No invalidation is needed: live queries update themselves.
 *
 * ```tsx
 * const move = useCommand('board.moveCard')
 * move.mutate({ id: 'b1', input: { cardId, to: 'done' } })
 * if (move.error?.name === 'CommandRejected' && move.error.code === 'WipLimitReached') ...
 * ```
 */
export function useCommand<P extends RegisteredCommandPath, TOnMutateResult = unknown>(
  path: P,
  options?: CairnCommandOptions<P, TOnMutateResult>,
): UseMutationResult<CommandResult, CommandError<P>, CommandRequestAt<P>, TOnMutateResult> {
  const { client, queryClient } = useCairnContext('useCommand')
  return useMutation<CommandResult, CommandError<P>, CommandRequestAt<P>, TOnMutateResult>(
    {
      mutationKey: ['cairn', path],
      networkMode: 'always',
      ...options,
      mutationFn: (request) => client.execute(path, request),
    },
    queryClient,
  )
}
