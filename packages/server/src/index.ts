/**
 * `@cairn/server`: the Cairn sync server. A gapless per-space event log over HTTP (Hono on Node),
 * SQLite by default, PostgreSQL for several instances, in-memory for tests.
 *
 * ```ts
 * import { createSqliteStorage, startServer } from '@cairn/server'
 * import { domain } from './domain'
 *
 * const running = await startServer({
 *   storage: createSqliteStorage({ path: './data/cairn.db' }),
 *   tokens: 'secret=alice:team-1',
 *   // the server as the authority: unknown event types and bad data are refused with 422
 *   domain,
 *   authorizeEvent: ({ principal, event }) => event.type !== 'BoardDeleted' || principal === 'admin',
 *   port: 8787,
 * })
 * ```
 * @module
 */
export {
  createSyncServer,
  DEFAULT_AUTH_FAILURE_LIMIT,
  type EventAuthorization,
  type EventAuthorizationRequest,
  type EventAuthorizer,
  type EventValidator,
  type ForgetAuthorizationRequest,
  type ForgetAuthorizer,
  type SyncServer,
  type SyncServerOptions,
  type ValidationOutcome,
} from './app.js'
export {
  type Authorizer,
  type AuthResult,
  anonymousTokenPrincipal,
  eitherAuthorizer,
  parseTokens,
  requestToken,
  type TokenGrant,
  type TokenGrants,
  tokenAuthorizer,
} from './auth.js'
export { DomainModuleError, isDomain, type LoadedDomain, loadDomainModule } from './domain-module.js'
export { domainValidator } from './domain-validator.js'
export { SyncHttpError } from './errors.js'
export { findUnstorable, type Unstorable, type UnstorableReason } from './json-guard.js'
export { type JwtOptions, jwtAuthorizer } from './jwt.js'
export { DEFAULT_LIVE, type LiveOptions } from './live.js'
export { DEFAULT_PULL_CACHE, type PullCacheOptions } from './pull-cache.js'
export { DEFAULT_RATE_LIMIT, RateLimiter, type RateLimitOptions } from './rate-limit.js'
export {
  DEFAULT_CONNECTION_LIMITS,
  type RunningServer,
  type StartServerOptions,
  startServer,
} from './start.js'
export { createMemoryStorage, type MemoryStorageOptions } from './storage/memory.js'
export { canonicalJson, planAppend } from './storage/plan.js'
export { createPostgresStorage, dropPostgresSchema, type PostgresStorageOptions } from './storage/postgres.js'
export { createSqliteStorage, type SqliteStorageOptions } from './storage/sqlite.js'
export type {
  AppendResult,
  LiveListener,
  LiveNotification,
  SubjectKeyMaterial,
  SubjectKeyState,
  SyncStorage,
} from './storage/types.js'
export { DEFAULT_LIMITS, type SyncLimits } from './validate.js'
