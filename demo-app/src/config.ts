/** What the page reads from its URL and localStorage: the board (a sync space) and its token. */
export interface AppConfig {
  board: string
  token: string | null
}

/** What the page hands its worker, as JSON in the Worker's `name`. */
export interface WorkerConfig {
  db: string
  sync?: { url: string; space: string; token?: string }
}

export const DEFAULT_BOARD = 'demo'
/** The server's rule for space names. */
const BOARD_NAME = /^[A-Za-z0-9_-]{1,64}$/
const TOKEN_KEY = (board: string) => `cairn-demo:token:${board}`
const RECENT_KEY = 'cairn-demo:boards'

export const isBoardName = (name: string): boolean => BOARD_NAME.test(name)

function storage(): Storage | null {
  try {
    return window.localStorage
  } catch {
    return null // storage disabled (privacy settings)
  }
}

/** Reads `?board=` (default `demo`) and `?token=`; a token from the URL is remembered for that board. */
export function readConfig(url: URL): AppConfig {
  const requested = url.searchParams.get('board') ?? ''
  const board = isBoardName(requested) ? requested : DEFAULT_BOARD
  const fromUrl = url.searchParams.get('token')
  if (fromUrl) saveToken(board, fromUrl)
  rememberBoard(board)
  return { board, token: fromUrl || storage()?.getItem(TOKEN_KEY(board)) || null }
}

export function saveToken(board: string, token: string): void {
  storage()?.setItem(TOKEN_KEY(board), token)
}

/** Boards opened on this device, most recent first. */
export function recentBoards(): string[] {
  try {
    const parsed: unknown = JSON.parse(storage()?.getItem(RECENT_KEY) ?? '[]')
    return Array.isArray(parsed) ? parsed.filter((b): b is string => typeof b === 'string' && isBoardName(b)) : []
  } catch {
    return []
  }
}

function rememberBoard(board: string): void {
  const boards = [board, ...recentBoards().filter((b) => b !== board)].slice(0, 10)
  storage()?.setItem(RECENT_KEY, JSON.stringify(boards))
}

/** One database per board, synced with the space of the same name on this page's origin. */
export function workerConfig(config: AppConfig, origin: string): WorkerConfig {
  return {
    db: `cairn-demo-${config.board}`,
    sync: { url: origin, space: config.board, ...(config.token ? { token: config.token } : {}) },
  }
}

/** The URL of a board's page; the token stays in localStorage, out of the address bar. */
export function boardUrl(board: string): string {
  return `?board=${encodeURIComponent(board)}`
}
