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
export {
  type DecryptFailureCode,
  type DecryptResult,
  decryptEventData,
  ENCRYPTED_TYPE,
  ENVELOPE_FORMAT,
  type EncryptOptions,
  type Envelope,
  type EventDataInput,
  encryptEventData,
  isEnvelope,
  type SealedEventData,
} from './crypto/envelope'
export {
  DEFAULT_PBKDF2_ITERATIONS,
  keyFromPassphrase,
  type PassphraseOptions,
  type SpaceKey,
  type SpaceKeys,
  spaceKeys,
} from './crypto/keys'
export * from './domain'
export type { ForgetResponse, SubjectKeysRequest, SubjectKeysResponse } from './protocol'
export type { ExpectedVersion } from './runtime/executor'
export type { LiveListener, LiveResult } from './runtime/live-queries'
export type { PersonalDataExport, PersonalDataItem } from './runtime/personal-export'
export { Runtime, type RuntimeOptions } from './runtime/runtime'
export { DEFAULT_SPACE } from './runtime/space-choice'
export type { SpaceStatus } from './runtime/status'
export { initialStatus } from './runtime/status'
export {
  type ForgetIncompleteDetails,
  ForgetIncompleteError,
  type JoinSpaceOptions,
  ServerResetError,
  type SyncOptions,
} from './sync/engine'
export { type HttpSpacesTransportOptions, httpSpacesTransport } from './sync/http-spaces-transport'
export type { LeaveSpaceOptions, LeaveSpaceResult } from './sync/leave-space'
export type { JoinEncryption, WorkerSpaceEncryption } from './sync/space-encryption'
export {
  type HttpTransportOptions,
  httpTransport,
  type LiveHandlers,
  type SpaceFrom,
  type SpacePage,
  type SpacesLiveHandlers,
  type SpacesTransport,
  SyncHttpError,
  SyncNetworkError,
  type SyncTransport,
  spacesTransport,
} from './sync/transport'
