import type { AddressInfo } from 'node:net'
import { type ServerType, serve } from '@hono/node-server'
import { createSyncServer, type SyncServer, type SyncServerOptions } from './app.js'
import { parseTokens, tokenAuthorizer } from './auth.js'
import { ConnectionTracker } from './connections.js'
import { createMemoryStorage } from './storage/memory.js'
import { createPostgresStorage } from './storage/postgres.js'
import { createSqliteStorage } from './storage/sqlite.js'
import type { SyncStorage } from './storage/types.js'

/** Options of {@link startServer}: the sync server's options plus where to listen and what to store in. */
export interface StartServerOptions extends Omit<SyncServerOptions, 'storage'> {
  /** A ready storage. Otherwise `databaseUrl` (PostgreSQL), else `db` (SQLite file), else in-memory. */
  storage?: SyncStorage
  /** SQLite database file. */
  db?: string
  /** PostgreSQL URL; takes precedence over `db`. */
  databaseUrl?: string
  /** PostgreSQL schema (default `cairn`). */
  pgSchema?: string
  /** Interface to bind (default `127.0.0.1`). */
  host?: string
  /** Port; 0 picks a free one (default 8787). */
  port?: number
  /** Static tokens `token=space1,space2;token2=*`, an alternative to `authorize`. */
  tokens?: string
  /** Whether `close()` also closes the storage (default true). */
  closeStorage?: boolean
  /** Force-close connections still open this long after `close()` began, in ms (default 10000). */
  shutdownTimeoutMs?: number
}

/** A listening server. */
export interface RunningServer {
  /** Base URL, e.g. `http://127.0.0.1:8787`. */
  readonly url: string
  readonly port: number
  readonly storage: SyncStorage
  readonly sync: SyncServer
  readonly server: ServerType
  /**
   * Graceful shutdown: stop accepting, end live streams, let in-flight requests finish, close storage.
   * Idempotent.
   */
  close(): Promise<void>
}

async function openStorage(options: StartServerOptions): Promise<SyncStorage> {
  if (options.storage) return options.storage
  if (options.databaseUrl)
    return createPostgresStorage({
      url: options.databaseUrl,
      ...(options.pgSchema === undefined ? {} : { schema: options.pgSchema }),
    })
  if (options.db) return createSqliteStorage({ path: options.db })
  return createMemoryStorage()
}

/** Opens the storage, creates the sync server and listens on Node. */
export async function startServer(options: StartServerOptions = {}): Promise<RunningServer> {
  const { storage: _s, db: _d, databaseUrl: _u, pgSchema: _p, host, port, tokens, ...serverOptions } = options
  if (tokens !== undefined && options.authorize) throw new Error('pass either tokens or authorize, not both')
  const authorize = tokens !== undefined ? tokenAuthorizer(parseTokens(tokens)) : options.authorize
  const storage = await openStorage(options)
  let sync: SyncServer
  try {
    sync = createSyncServer({ ...serverOptions, storage, ...(authorize ? { authorize } : {}) })
  } catch (error) {
    if (options.closeStorage !== false) await storage.close()
    throw error
  }
  const hostname = host ?? '127.0.0.1'
  let server: ServerType | undefined
  const info = await new Promise<AddressInfo>((resolve, reject) => {
    server = serve({ fetch: sync.app.fetch, hostname, port: port ?? 8787 }, resolve)
    server.once('error', reject)
  }).catch(async (error: unknown) => {
    if (options.closeStorage !== false) await storage.close()
    throw error
  })
  const listening = server!
  const connections = new ConnectionTracker(listening)
  const urlHost = hostname.includes(':') ? `[${hostname}]` : hostname === '0.0.0.0' ? '127.0.0.1' : hostname

  let closing: Promise<void> | undefined
  const close = () => {
    closing ??= (async () => {
      const closed = new Promise<void>((resolve) => listening.close(() => resolve()))
      sync.closeLive()
      connections.drain()
      const force = setTimeout(() => connections.destroyAll(), options.shutdownTimeoutMs ?? 10_000)
      force.unref()
      await closed
      clearTimeout(force)
      if (options.closeStorage !== false) await storage.close()
    })()
    return closing
  }

  return { url: `http://${urlHost}:${info.port}`, port: info.port, storage, sync, server: listening, close }
}
