/**
 * @cairn/core — define a domain once; run it in a Web Worker on IndexedDB; talk to it from the page.
 *
 * - Domain: `defineEvents`, `event`, `defineAggregate`, `defineProjection`, `table`, `defineDomain`.
 * - Page: `createClient<typeof domain>(worker)`; in-process: `createLocalClient(domain)`.
 * - Worker: `serve(domain, options)` from `@cairn/core/worker`.
 */
export * from './client/local-client'
export type * from './client/types'
export { type CreateClientOptions, createClient } from './client/worker-client'
export * from './domain'
export type { ExpectedVersion } from './runtime/executor'
export type { LiveListener, LiveResult } from './runtime/live-queries'
export { Runtime, type RuntimeOptions } from './runtime/runtime'
export { initialStatus } from './runtime/status'
export { ServerResetError, type SyncOptions } from './sync/engine'
export { type HttpSpacesTransportOptions, httpSpacesTransport } from './sync/http-spaces-transport'
export {
  type HttpTransportOptions,
  httpTransport,
  type LiveHandlers,
  SyncHttpError,
  SyncNetworkError,
  type SyncTransport,
} from './sync/transport'
