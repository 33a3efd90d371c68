/**
 * Share links. A board's link is its address (`?board=<id>`); an encrypted board's link carries the passphrase
 * in the fragment (`#key=<passphrase>`), which browsers never send to a server: not in the request for the
 * page, not in a `Referer`. The app reads it once at load (or on `hashchange`), hands it to the join of the
 * board, and removes it from the address bar, as it does for `?token=`.
 */
import { isBoardName } from './config'
import { offerPassphrase } from './encrypted-boards'

/** The link that opens `board` on another device: with its passphrase after `#` when it is given. */
export function shareLink(base: string, board: string, passphrase: string | null): string {
  const url = new URL(`?board=${encodeURIComponent(board)}`, base)
  if (passphrase) url.hash = new URLSearchParams({ key: passphrase }).toString()
  return url.href
}

/** What a share link's fragment says: `#key=<passphrase>`, optionally `&board=<id>` (default: `?board=`). */
export function readShareFragment(url: URL): { board: string | null; passphrase: string | null } {
  const fragment = new URLSearchParams(url.hash.slice(1))
  return { board: fragment.get('board') || null, passphrase: fragment.get('key')?.trim() || null }
}

/**
 * Takes a share link's fragment out of `url` (changed in place): a board it names becomes `?board=`, its
 * passphrase is offered to the next join of the board the link opens. Returns whether there was one to take.
 */
export function takeShareFragment(url: URL): boolean {
  const { board, passphrase } = readShareFragment(url)
  if (board === null && passphrase === null) return false
  if (board !== null) url.searchParams.set('board', board)
  url.hash = ''
  const target = url.searchParams.get('board') ?? ''
  // A passphrase goes only to the board the link names (never to the last board opened, the default route).
  if (passphrase !== null && isBoardName(target)) offerPassphrase(target, passphrase)
  return true
}
