/**
 * The sync configuration (`serve(domain, { sync })`) and what the engine makes of it: the spaces joined at start
 * and the transport that reaches the server(s).
 */
import { httpSpacesTransport } from './http-spaces-transport'
import type { WorkerSpaceEncryption } from './space-encryption'
import { type SpacesTransport, type SyncTransport, spacesTransport } from './transport'

/** Sync configuration of `serve(domain, { sync })`. */
export interface SyncOptions {
  /** Server base URL, e.g. `location.origin` when `cairn-server --static` serves the app. */
  url?: string
  /**
   * A space to join at start (kept joined across reloads, like `joinSpace`). More spaces: `spaces`, or
   * `joinSpace()` at run time. A database holds every space it joined, until it leaves them.
   */
  space?: string
  /** Spaces to join at start (besides `space`). */
  spaces?: readonly string[]
  /** A fixed bearer token (for every space without a token of its own). */
  token?: string
  /**
   * Or a function giving a token for a space, asked for each request (a space joined with a token of its own
   * uses that one).
   */
  getToken?: (space: string) => string | undefined | Promise<string | undefined>
  /**
   * A custom single-space transport (tests, other servers); replaces url/token. It syncs `space` (default
   * `default`) only.
   */
  transport?: SyncTransport
  /** A custom multi-space transport (tests, other servers); replaces url/token/transport. */
  spacesTransport?: SpacesTransport
  /** Events per push (whole commands only). Default 500. */
  pushBatch?: number
  /** Events per pull page, per space. Default 500. */
  pullLimit?: number
  /** Elect one syncing tab with the Web Locks API. Default true where `navigator.locks` exists. */
  leaderElection?: boolean
  /** Start the background loop. Default true; tests drive `syncOnce()` themselves. */
  autoStart?: boolean
  /** Requests one `syncNow()` round may make before it gives up (bounds every retry loop). Default 1000. */
  maxRequestsPerRound?: number
  /** Idle re-check interval when nothing pokes the loop (ms). Default 30 s. */
  heartbeatMs?: number
  /**
   * Keys of end-to-end encrypted spaces, supplied in the worker (e.g. unwrapped from the app's key server): a
   * space for which it returns keys is encrypted with them. It wins over keys given to `joinSpace` (which the
   * page can give: a `CryptoKey` crosses to the worker, a function cannot).
   */
  encryption?: (space: string) => WorkerSpaceEncryption | undefined
}

/** The spaces the configuration joins at start: `space`, then `spaces`; `default` for a bare single-space transport. */
export function initialSpaces(options: SyncOptions): string[] {
  const list = [...(options.space === undefined ? [] : [options.space]), ...(options.spaces ?? [])]
  if (list.length === 0 && options.transport) list.push('default')
  return [...new Set(list)]
}

/**
 * The multi-space transport the configuration asks for. `ownToken(space)` is the token a space was joined with
 * (kept in the database): it wins over `getToken` and the fixed `token`.
 */
export function transportOf(
  options: SyncOptions,
  clientId: string,
  ownToken: (space: string) => string | undefined,
): SpacesTransport {
  const single = options.transport
  if (options.spacesTransport) return options.spacesTransport
  if (single) {
    const only = options.space ?? 'default'
    return spacesTransport((space) => (space === only ? single : undefined))
  }
  if (!options.url) throw new TypeError('sync needs { url } or a transport')
  return httpSpacesTransport({
    url: options.url,
    getToken: async (space) => {
      const own = ownToken(space)
      if (own !== undefined) return own
      if (options.getToken) return options.getToken(space)
      return options.token
    },
    clientId,
  })
}
