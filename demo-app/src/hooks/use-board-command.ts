import { type CommandRequestAt, type RegisteredCommandPath, useCommand } from '@cairn/react'
import { useCallback } from 'react'
import { localRejections } from './local-rejections'

/** A request as the components build it: the command id is added here. */
export type BoardCommandRequest<P extends RegisteredCommandPath> = Omit<CommandRequestAt<P>, 'commandId'>

/**
 * `useCommand` with a fresh command id per call, and failures reported to the rejections panel
 * (a rejection is an answer, not a crash: the board stays as it was).
 */
export function useBoardCommand<P extends RegisteredCommandPath>(path: P): (request: BoardCommandRequest<P>) => void {
  const { mutate } = useCommand(path, {
    onError: (error, request) =>
      localRejections.add({
        commandId: request.commandId ?? crypto.randomUUID(),
        space: request.space ?? '',
        stream: `${path.slice(0, path.indexOf('.'))}:${request.id}`,
        path,
        input: request.input,
        code: error.code,
        message: error.message,
        at: Date.now(),
      }),
  })
  return useCallback(
    (request) => mutate({ ...request, commandId: crypto.randomUUID() } as CommandRequestAt<P>),
    [mutate],
  )
}
