import type { RejectedCommand } from '@cairn/core'
import { useSyncExternalStore } from 'react'

/**
 * Commands this page ran that failed at once (a full column, an empty title, ...). Rejections found while
 * syncing come from the runtime status instead; the panel shows both.
 */
let items: readonly RejectedCommand[] = []
const listeners = new Set<() => void>()

function set(next: readonly RejectedCommand[]): void {
  items = next
  for (const listener of listeners) listener()
}

export const localRejections = {
  add(rejection: RejectedCommand): void {
    set([...items.filter((r) => r.commandId !== rejection.commandId), rejection])
  },
  dismiss(commandId: string): void {
    set(items.filter((r) => r.commandId !== commandId))
  },
  subscribe(listener: () => void): () => void {
    listeners.add(listener)
    return () => listeners.delete(listener)
  },
  get: (): readonly RejectedCommand[] => items,
}

export function useLocalRejections(): readonly RejectedCommand[] {
  return useSyncExternalStore(localRejections.subscribe, localRejections.get)
}
