/**
 * `@cairn/server`: the Cairn sync server. A gapless per-space event log over HTTP (Hono on Node),
 * SQLite by default, PostgreSQL for several instances, in-memory for tests.
 *
 * ```ts
 * import { createSyncServer, createSqliteStorage, startServer } from '@cairn/server'
 * import { validateWireEvent } from '@cairn/core/domain'
 *
 * const running = await startServer({
 *   storage: createSqliteStorage({ path: './data/cairn.db' }),
 *   tokens: 'secret=team-1',
 *   // domain validation: unknown event types and bad data are answered with 422
 *   validateEvent: (event) => validateWireEvent(domain, event),
 *   port: 8787,
 * })
 * ```
 * @module
 */
export {
  createSyncServer,
  type EventValidator,
  type SyncServer,
  type SyncServerOptions,
  type ValidationOutcome,
} from './app.js'
export {
  type Authorizer,
  type AuthResult,
  parseTokens,
  requestToken,
  type TokenGrants,
  tokenAuthorizer,
} from './auth.js'
export { SyncHttpError } from './errors.js'
export { DEFAULT_LIVE, type LiveOptions } from './live.js'
export { DEFAULT_RATE_LIMIT, RateLimiter, type RateLimitOptions } from './rate-limit.js'
export { type RunningServer, type StartServerOptions, startServer } from './start.js'
export { createMemoryStorage, type MemoryStorageOptions } from './storage/memory.js'
export { canonicalJson, planAppend } from './storage/plan.js'
export { createPostgresStorage, dropPostgresSchema, type PostgresStorageOptions } from './storage/postgres.js'
export { createSqliteStorage, type SqliteStorageOptions } from './storage/sqlite.js'
export type { AppendResult, LiveListener, LiveNotification, SyncStorage } from './storage/types.js'
export { DEFAULT_LIMITS, type SyncLimits } from './validate.js'
