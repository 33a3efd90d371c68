/**
 * Wire types of the Cairn sync protocol (client ⇄ server), shared by `@cairn/core`'s sync client and
 * `@cairn/server`. JSON only; see DESIGN.md §4.
 */

/** A JSON value as it travels on the wire. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue }

/** A JSON object. */
export type JsonObject = { [key: string]: JsonValue }

/** An event as a client pushes it. */
export interface WireEvent {
  /** UUID chosen by the client; the idempotency key of the event everywhere. */
  id: string
  /** Stream the event belongs to, `<aggregate>:<id>`, e.g. `card:123`. */
  stream: string
  /** 1-based position of the event in its stream. */
  version: number
  /** Event type name, e.g. `CardMoved`. */
  type: string
  /** Event payload. */
  data: JsonObject
  /** Optional metadata: client id, command id, issued-at, schema version, ... */
  meta?: JsonObject
}

/** An event as the server stores and returns it: with its position in the space's log. */
export interface StoredWireEvent extends WireEvent {
  /** 1, 2, 3, ... per space: no gaps, no duplicates. */
  seq: number
}

/** Marker and version of the end-to-end encryption envelope format (the value of `$cairn` in event data). */
export const ENVELOPE_FORMAT = 'enc1'

/** The wire `type` of an event whose real type is sealed inside its envelope. */
export const ENCRYPTED_TYPE = '$encrypted'

/**
 * An encrypted event's `data` as it travels and is stored on the server (format `enc1`, see
 * `@cairn/core`'s crypto module). A type alias, not an interface, so it is assignable to {@link JsonObject}.
 */
export type Envelope = {
  /** Format marker and version. */
  $cairn: typeof ENVELOPE_FORMAT
  /** Id of the space key that sealed it. */
  kid: string
  /** Base64url (no padding) of the 12-byte AES-GCM nonce, fresh per seal. */
  iv: string
  /** Base64url (no padding) of the AES-GCM ciphertext followed by its 16-byte tag. */
  ct: string
}

/** Whether `data` has the shape of an `enc1` envelope (it says nothing about whether it opens). */
export function isEnvelope(data: unknown): data is Envelope {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return false
  const d = data as Record<string, unknown>
  return (
    d.$cairn === ENVELOPE_FORMAT &&
    typeof d.kid === 'string' &&
    d.kid !== '' &&
    typeof d.iv === 'string' &&
    typeof d.ct === 'string'
  )
}

/**
 * Streams whose name starts with this are the server's own (never a client's: a push to one is refused). The
 * server appends to them in any space, in clear, encrypted space or not.
 */
export const SYSTEM_STREAM_PREFIX = '$cairn:'

/**
 * The event the server appends to a space when a subject is forgotten (`POST /v1/spaces/:space/forget`):
 * stream `$cairn:forgotten:<subject>`, version 1, data `{ subject, proof? }` (the request's proof), no meta, and the id `forgotten-` + the
 * first 32 base64url characters of SHA-256(`<space>\n<subject>`), so a retried forget appends nothing new.
 * Members that pull it erase their copy of the subject's personal data.
 */
export const SUBJECT_FORGOTTEN = '$SubjectForgotten'

/** Longest subject id (personal data is keyed by subject: a user id, an email hash...). */
export const MAX_SUBJECT_LENGTH = 100

/** Control characters and lone surrogates: text the server refuses in names it stores. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const UNSAFE_TEXT = /[\u0000-\u001f\u007f]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** Whether `value` is a subject id the key store takes: 1..{@link MAX_SUBJECT_LENGTH} characters, no control characters. */
export function isSubject(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_SUBJECT_LENGTH && !UNSAFE_TEXT.test(value)
}

/** Body of `POST /v1/spaces/:space/subject-keys`: the keys of subjects whose personal data a client holds. */
export interface SubjectKeysRequest {
  /** 1..100 distinct subject ids, each 1..{@link MAX_SUBJECT_LENGTH} characters, no control characters. */
  subjects: string[]
  /**
   * Create a key for a subject that has none yet (a writer about to push its personal data; needs the right to
   * push to the space). Default false: only existing keys are returned (the right to pull is enough).
   */
  create?: boolean
}

/**
 * One subject's key in a space: 32 random bytes (AES-256-GCM), base64url without padding, and its id; or the
 * news that the subject was forgotten (its key destroyed, never created again in that space).
 */
export type SubjectKey = { subject: string; kid: string; key: string } | { subject: string; forgotten: true }

/** Answer to `POST /v1/spaces/:space/subject-keys`: one entry per subject asked that has a key or was forgotten. */
export interface SubjectKeysResponse {
  keys: SubjectKey[]
}

/** Body of `POST /v1/spaces/:space/forget`. */
export interface ForgetRequest {
  subject: string
  /**
   * In an end-to-end encrypted space: an envelope only a member can make (sealed with the space key), carried in
   * the `$SubjectForgotten` event's data, so members erase nothing on a forget the server made up.
   */
  proof?: Envelope
}

/** Answer to a forget: the subject's key is destroyed; `seq` is the position of its `$SubjectForgotten` event. */
export interface ForgetResponse {
  subject: string
  seq: number
}

/** Body of `POST /v1/spaces/:space/push`. */
export interface PushRequest {
  clientId: string
  events: WireEvent[]
}

/** 200 answer to a push. */
export interface PushResponse {
  accepted: { id: string; seq: number }[]
  head: number
  backendId: string
}

/** Answer to `GET /v1/spaces/:space/pull?after=<seq>&limit=<n>`. */
export interface PullResponse {
  events: StoredWireEvent[]
  head: number
  backendId: string
}

/** One stream whose expected version did not match, in a 409 `CONFLICT`. */
export interface StreamConflict {
  stream: string
  /** The version the server expected the first new event of this stream to have. */
  expected: number
  /** The version the client sent. */
  actual: number
}

/** Error codes the server answers with. */
export type ServerErrorCode =
  | 'BAD_REQUEST'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'ID_REUSED'
  | 'PAYLOAD_TOO_LARGE'
  /** 415: a push body not sent as `Content-Type: application/json`. */
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'UNKNOWN_EVENT_TYPE'
  | 'INVALID_EVENT_DATA'
  /** 422: a server that requires encryption (`requireEncryption`) was pushed event data that is not an envelope. */
  | 'NOT_ENCRYPTED'
  | 'RATE_LIMITED'
  | 'STORAGE_UNAVAILABLE'
  | 'INTERNAL'

/**
 * One pushed event the server refuses for good (it will never accept it, however often it is sent): unknown
 * type, data failing its schema, not authorized, an id already used with other content, or larger than any
 * batch may be. The client turns the command that produced it into a durable rejection and pushes the rest.
 */
export interface RefusedEvent {
  /** The refused event's id. */
  id: string
  /** The command that produced it (`meta.commandId`), when the event carried one. */
  commandId?: string
  /** Why, e.g. `UNKNOWN_EVENT_TYPE`, `INVALID_EVENT_DATA`, `FORBIDDEN`, `ID_REUSED`, `PAYLOAD_TOO_LARGE`. */
  code: ServerErrorCode
  message: string
  /** Validator issues or other detail, JSON-safe. */
  details?: JsonValue
}

/**
 * Every error body: `{ code, message, details? }`. A 409 CONFLICT also carries `streams` and `head`.
 * A refusal of some events of a push (422 `UNKNOWN_EVENT_TYPE` / `INVALID_EVENT_DATA`, 403 `FORBIDDEN`,
 * 409 `ID_REUSED`) lists every refused event of the batch in `refused`; nothing of the batch was stored.
 */
export interface ErrorBody {
  code: ServerErrorCode
  message: string
  details?: JsonValue
  streams?: StreamConflict[]
  head?: number
  refused?: RefusedEvent[]
}

/** Most spaces one multi-space request (`POST /v1/pull`, `POST /v1/live`) may name. */
export const MAX_SPACES_PER_REQUEST = 100

/** One space of a multi-space request: where the client's cursor is, and the space's own token if it has one. */
export interface SpaceCursor {
  space: string
  /** The client's cursor in the space (highest seq it holds); 0 for none. */
  after: number
  /**
   * The bearer token for this space, when spaces have tokens of their own. Without it the request's
   * `Authorization` header is used. Authorization is checked per space.
   */
  token?: string
}

/** Body of `POST /v1/pull`: several spaces' tails in one request. */
export interface MultiPullRequest {
  spaces: SpaceCursor[]
  /** Events per space at most (the server caps it); the whole answer is also bounded in bytes. */
  limit?: number
}

/** One space's part of a multi-space pull: its page, or why it was refused (nothing else of it is sent). */
export type SpacePullResult = ({ space: string } & PullResponse) | { space: string; status: number; error: ErrorBody }

/**
 * Answer to `POST /v1/pull`: one result per requested space, in the order asked. A space whose page was cut
 * by the answer's byte budget comes back short (or empty) with its `head`: the client asks again.
 */
export interface MultiPullResponse {
  results: SpacePullResult[]
}

/** Body of `POST /v1/live`: one Server-Sent Events stream of pokes for many spaces. */
export interface MultiLiveRequest {
  spaces: SpaceCursor[]
}

/**
 * First message of a multi-space live stream (`event: ready`): each admitted space's head and the server's
 * identity, and the spaces refused (they get no pokes). Then `event: poke` messages `{ space, head }` follow,
 * one per commit (coalesced), for every admitted space: pull stays the truth.
 */
export interface MultiLiveReady {
  heads: Record<string, number>
  backendId: string
  refused: { space: string; status: number; error: ErrorBody }[]
}

/** A poke of a multi-space live stream (`event: poke`): `space` has events up to `head`. */
export interface LivePoke {
  space: string
  head: number
}
