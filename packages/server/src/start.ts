import type { ServerOptions } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type ServerType, serve } from '@hono/node-server'
import { createSyncServer, type SyncServer, type SyncServerOptions } from './app.js'
import { type Authorizer, eitherAuthorizer, parseTokens, tokenAuthorizer } from './auth.js'
import { ConnectionTracker } from './connections.js'
import { type JwtOptions, jwtAuthorizer } from './jwt.js'
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
  /** JWT verification (HS256 secret, JWKS URL or public key) for bearer tokens; combinable with `tokens`. */
  jwt?: JwtOptions
  /**
   * Most open connections (sockets) of the process (default 1000); more are closed on arrival. Protects the
   * process's file descriptors: keep it below `ulimit -n`. Raise both for many live clients.
   */
  maxConnections?: number
  /** Time a client has to send a request's headers, in ms (default 10000): idle half-sent requests end. */
  headersTimeoutMs?: number
  /** Time a client has to send a whole request, body included, in ms (default 30000). */
  requestTimeoutMs?: number
  /** How long an idle keep-alive connection is kept, in ms (default 5000). */
  keepAliveTimeoutMs?: number
}

/** Default connection limits and timeouts of {@link startServer}. */
export const DEFAULT_CONNECTION_LIMITS = {
  maxConnections: 1000,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
} as const

/** A listening server. */
export interface RunningServer {
  /** Base URL to reach it from this machine, e.g. `http://127.0.0.1:8787` (also when bound to `0.0.0.0`). */
  readonly url: string
  /** The address actually bound, e.g. `http://0.0.0.0:8787` or `http://[::1]:8787`: what to print. */
  readonly boundUrl: string
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

function authorizerOf(options: StartServerOptions): Authorizer | undefined {
  const fromTokens = options.tokens !== undefined ? tokenAuthorizer(parseTokens(options.tokens)) : undefined
  const fromJwt = options.jwt ? jwtAuthorizer(options.jwt) : undefined
  if ((fromTokens || fromJwt) && options.authorize) throw new Error('pass either tokens/jwt or authorize, not both')
  if (fromTokens && fromJwt) return eitherAuthorizer(fromTokens, fromJwt)
  return fromTokens ?? fromJwt ?? options.authorize
}

function serverOptionsOf(options: StartServerOptions): ServerOptions {
  const headersTimeout = options.headersTimeoutMs ?? DEFAULT_CONNECTION_LIMITS.headersTimeoutMs
  const requestTimeout = options.requestTimeoutMs ?? DEFAULT_CONNECTION_LIMITS.requestTimeoutMs
  if (headersTimeout > requestTimeout) throw new Error('headersTimeoutMs must not exceed requestTimeoutMs')
  return {
    headersTimeout,
    requestTimeout,
    keepAliveTimeout: options.keepAliveTimeoutMs ?? DEFAULT_CONNECTION_LIMITS.keepAliveTimeoutMs,
    // how often Node looks for requests past their timeout (its default, 30 s, lets them linger that long)
    connectionsCheckingInterval: Math.min(1000, headersTimeout),
  }
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
  const {
    storage: _storage,
    db: _db,
    databaseUrl: _databaseUrl,
    pgSchema: _pgSchema,
    host,
    port,
    tokens: _tokens,
    jwt: _jwt,
    maxConnections: _maxConnections,
    headersTimeoutMs: _headersTimeoutMs,
    requestTimeoutMs: _requestTimeoutMs,
    keepAliveTimeoutMs: _keepAliveTimeoutMs,
    ...serverOptions
  } = options
  const authorize = authorizerOf(options)
  const storage = await openStorage(options)
  let sync: SyncServer
  try {
    // an open server has no credential a rebound DNS name could lack: it checks the Host header instead
    const allowedHosts = options.allowedHosts ?? (authorize ? undefined : [])
    sync = createSyncServer({
      ...serverOptions,
      storage,
      ...(authorize ? { authorize } : {}),
      ...(allowedHosts ? { allowedHosts } : {}),
    })
  } catch (error) {
    if (options.closeStorage !== false) await storage.close()
    throw error
  }
  const hostname = host ?? '127.0.0.1'
  let server: ServerType | undefined
  const info = await new Promise<AddressInfo>((resolve, reject) => {
    server = serve(
      { fetch: sync.app.fetch, hostname, port: port ?? 8787, serverOptions: serverOptionsOf(options) },
      resolve,
    )
    server.once('error', reject)
    server.maxConnections = options.maxConnections ?? DEFAULT_CONNECTION_LIMITS.maxConnections
  }).catch(async (error: unknown) => {
    if (options.closeStorage !== false) await storage.close()
    throw error
  })
  const listening = server!
  const connections = new ConnectionTracker(listening)
  const bound = info.address.includes(':') ? `[${info.address}]` : info.address
  const urlHost = info.address === '0.0.0.0' ? '127.0.0.1' : info.address === '::' ? '[::1]' : bound

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

  return {
    url: `http://${urlHost}:${info.port}`,
    boundUrl: `http://${bound}:${info.port}`,
    port: info.port,
    storage,
    sync,
    server: listening,
    close,
  }
}
