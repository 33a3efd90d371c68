import { useSyncStatus } from '@cairn/react'
import { useSyncExternalStore } from 'react'
import { encryptedKeyId, passphraseOf, subscribe } from '../encrypted-boards'
import { isKeyError, type KeyErrorCode } from '../passphrase'

/** Why this device cannot read `board`'s events (its space's last error), or null when it can. */
export function useKeyError(board: string): { code: KeyErrorCode; kid: string | null } | null {
  const code = useSyncStatus((s) => s.spaces[board]?.lastError?.code)
  // The id of the key the waiting event was sealed with, when the runtime could read it (a public value).
  const kid = useSyncStatus((s) => {
    const details = s.spaces[board]?.lastError?.details as { kid?: unknown } | undefined
    return typeof details?.kid === 'string' ? details.kid : null
  })
  return isKeyError(code) ? { code, kid } : null
}

/** Whether `board` is end-to-end encrypted, as far as this device knows (joined with a key, or waiting for one). */
export function useEncrypted(board: string): boolean {
  const joinedWithKey = useSyncExternalStore(subscribe, () => encryptedKeyId(board) !== null)
  const waiting = useKeyError(board) !== null
  return joinedWithKey || waiting
}

/** The passphrase of `board` known in this tab (created or unlocked here since the page loaded), else null. */
export function usePassphrase(board: string): string | null {
  return useSyncExternalStore(subscribe, () => passphraseOf(board))
}
