/**
 * What the page keeps outside the database: the view in the address bar (`?board=` or `?view=mine`), each
 * board's token and the last board opened (localStorage). Which boards this device holds is in the database
 * (its joined spaces, `status.spaces`), shared by every tab.
 */

/** The one local database of the app: every joined board (sync space) lives in it. */
export const DATABASE = 'cairn-demo'

export const DEFAULT_BOARD = 'demo'

/** What the page shows: one board, or "My cards" (the open cards of every joined board). */
export type Route = { view: 'board'; board: string } | { view: 'mine' }

/** The server's rule for space names. */
const BOARD_NAME = /^[A-Za-z0-9_-]{1,64}$/
const TOKEN_KEY = (board: string) => `cairn-demo:token:${board}`
const LAST_KEY = 'cairn-demo:last-board'
/** Boards opened before boards shared one database (one database each then): joined once, on upgrade. */
const LEGACY_RECENT_KEY = 'cairn-demo:boards'

export const isBoardName = (name: string): boolean => BOARD_NAME.test(name)

function storage(): Storage | null {
  try {
    return window.localStorage
  } catch {
    return null // storage disabled (privacy settings)
  }
}

/**
 * The route of a URL: `?view=mine`, else `?board=` (default: the last board opened, else `demo`). A token in
 * the URL (`?token=`) is remembered for that board.
 */
export function readRoute(url: URL): Route {
  if (url.searchParams.get('view') === 'mine') return { view: 'mine' }
  const requested = url.searchParams.get('board') ?? ''
  const board = isBoardName(requested) ? requested : lastBoard()
  const fromUrl = url.searchParams.get('token')
  if (fromUrl) saveToken(board, fromUrl)
  return { view: 'board', board }
}

/** The address of a route; tokens stay in localStorage, out of the address bar. */
export function routeUrl(route: Route): string {
  return route.view === 'mine' ? '?view=mine' : `?board=${encodeURIComponent(route.board)}`
}

export function tokenOf(board: string): string | null {
  return storage()?.getItem(TOKEN_KEY(board)) || null
}

export function saveToken(board: string, token: string): void {
  storage()?.setItem(TOKEN_KEY(board), token)
}

export function forgetToken(board: string): void {
  storage()?.removeItem(TOKEN_KEY(board))
}

export function lastBoard(): string {
  const last = storage()?.getItem(LAST_KEY) ?? ''
  return isBoardName(last) ? last : DEFAULT_BOARD
}

export function rememberLastBoard(board: string): void {
  storage()?.setItem(LAST_KEY, board)
}

/**
 * Boards this device opened when each board had a database of its own (the list the old board switcher kept).
 * Returns them once and forgets the list: the app joins them, and from then on the database remembers.
 */
export function takeLegacyBoards(): string[] {
  const store = storage()
  const raw = store?.getItem(LEGACY_RECENT_KEY)
  if (raw == null) return []
  store?.removeItem(LEGACY_RECENT_KEY)
  try {
    const parsed: unknown = JSON.parse(raw)
    return Array.isArray(parsed) ? parsed.filter((b): b is string => typeof b === 'string' && isBoardName(b)) : []
  } catch {
    return []
  }
}
