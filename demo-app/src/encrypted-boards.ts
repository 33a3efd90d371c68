/**
 * What the page knows of its encrypted boards. The keys themselves live in the database (`joinSpace` keeps them,
 * shared by tabs); the runtime's status does not say which spaces are encrypted, so the page keeps, per board,
 * the public id of the key it joined with (localStorage, every tab): enough to show the lock. The passphrase of
 * a board created or unlocked in this tab stays in this tab's memory only, to build its share link: it is never
 * stored, sent or logged, and a reload forgets it.
 */

const FLAG = (board: string) => `cairn-demo:encrypted:${board}`

/** Passphrases known in this tab (to share), and those still to join with. */
const passphrases = new Map<string, string>()
const offered = new Set<string>()
const listeners = new Set<() => void>()

function storage(): Storage | null {
  try {
    return window.localStorage
  } catch {
    return null
  }
}

function changed(): void {
  for (const listener of listeners) listener()
}

/** For `useSyncExternalStore`: this tab's changes, and other tabs' (the `storage` event). */
export function subscribe(listener: () => void): () => void {
  listeners.add(listener)
  window.addEventListener('storage', listener)
  return () => {
    listeners.delete(listener)
    window.removeEventListener('storage', listener)
  }
}

/** The public id of the key this device joined `board` with, or null for a board it holds in clear. */
export function encryptedKeyId(board: string): string | null {
  return storage()?.getItem(FLAG(board)) || null
}

export function markEncrypted(board: string, keyId: string): void {
  storage()?.setItem(FLAG(board), keyId)
  changed()
}

/** The passphrase of `board`, when this tab created the board or was given it (link, prompt). */
export function passphraseOf(board: string): string | null {
  return passphrases.get(board) ?? null
}

/** A passphrase for `board` (a new board, a share link): the next join of the board derives its key. */
export function offerPassphrase(board: string, passphrase: string): void {
  passphrases.set(board, passphrase)
  offered.add(board)
  changed()
}

/** The passphrase to join `board` with, if one was offered and not joined with yet. */
export function offeredPassphrase(board: string): string | null {
  return offered.has(board) ? (passphrases.get(board) ?? null) : null
}

/** `board` was joined with the key of `passphrase`: keep the passphrase (to share), stop offering it. */
export function joinedWith(board: string, keyId: string, passphrase: string): void {
  passphrases.set(board, passphrase)
  offered.delete(board)
  markEncrypted(board, keyId)
}

/** The board was left: forget its passphrase and its flag. */
export function forgetEncryption(board: string): void {
  passphrases.delete(board)
  offered.delete(board)
  storage()?.removeItem(FLAG(board))
  changed()
}
