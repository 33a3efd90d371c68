import {
  type ForgetRequest,
  isEnvelope,
  type JsonObject,
  MAX_SPACES_PER_REQUEST,
  MAX_SUBJECT_LENGTH,
  type PushRequest,
  type RefusedEvent,
  type SpaceCursor,
  type SubjectKeysRequest,
  type WireEvent,
} from '@cairn/core/protocol'
import { badRequest, SyncHttpError } from './errors.js'
import { findInexactNumber, findUnstorable } from './json-guard.js'
import { type NamedEvent, refusedEvent } from './refusal.js'

/** Size and shape limits of the server. Every field has a default, see {@link DEFAULT_LIMITS}. */
export interface SyncLimits {
  /** Max events in one push (default 1000). */
  maxBatchEvents: number
  /** Max request body in bytes (default 1 MiB). */
  maxBodyBytes: number
  /** Max JSON size of one event's `data` (and of its `meta`) in bytes (default 64 KiB). */
  maxEventDataBytes: number
  /** Max nesting depth of `data` / `meta` (default 32). */
  maxJsonDepth: number
  /** Max length of `stream` (default 200). */
  maxStreamLength: number
  /** Max length of `type` (default 200). */
  maxTypeLength: number
  /** Max length of `clientId` (default 200). */
  maxClientIdLength: number
  /** Default `limit` of a pull (default 500). */
  defaultPullLimit: number
  /** Max `limit` of a pull (default 1000). */
  maxPullLimit: number
  /**
   * Byte budget of a pull page (default 1 MiB): a page stops after the event that reaches it, so it always holds
   * at least one event. Clients page on by `after` until they reach `head`.
   */
  maxPageBytes: number
}

/** Default limits. */
export const DEFAULT_LIMITS: SyncLimits = {
  maxBatchEvents: 1000,
  maxBodyBytes: 1024 * 1024,
  maxEventDataBytes: 64 * 1024,
  maxJsonDepth: 32,
  maxStreamLength: 200,
  maxTypeLength: 200,
  maxClientIdLength: 200,
  defaultPullLimit: 500,
  maxPullLimit: 1000,
  maxPageBytes: 1024 * 1024,
}

const SPACE = /^[A-Za-z0-9_-]{1,64}$/
const EVENT_ID = /^[0-9A-Za-z_-]{1,100}$/
const NON_NEGATIVE_INTEGER = /^(0|[1-9][0-9]{0,15})$/
// control characters and lone surrogates: not storable as text everywhere (PostgreSQL rejects NUL)
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const UNSAFE_TEXT = /[\u0000-\u001f\u007f]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** Checks a space name (`^[A-Za-z0-9_-]{1,64}$`); `field` names it in the error. */
export function parseSpace(space: string, field = 'space'): string {
  if (!SPACE.test(space)) throw badRequest(`${field} must match ^[A-Za-z0-9_-]{1,64}$`)
  return space
}

/** Parses a seq cursor (`after`, `Last-Event-ID`): a non-negative safe integer, `fallback` when absent. */
export function parseCursor(value: string | undefined, name: string, fallback = 0): number {
  if (value === undefined || value === '') return fallback
  if (!NON_NEGATIVE_INTEGER.test(value) || !Number.isSafeInteger(Number(value)))
    throw badRequest(`${name} must be a non-negative integer`)
  return Number(value)
}

/** Parses a pull `limit`: 1..maxPullLimit. */
export function parseLimit(value: string | undefined, limits: SyncLimits): number {
  if (value === undefined || value === '') return limits.defaultPullLimit
  const n = Number(value)
  if (!NON_NEGATIVE_INTEGER.test(value) || n < 1 || n > limits.maxPullLimit)
    throw badRequest(`limit must be an integer from 1 to ${limits.maxPullLimit}`)
  return n
}

/** Parses a body as JSON, 400 on failure or on a number that would not be stored as sent. */
export function parseJson(text: string): unknown {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw badRequest('body is not valid JSON')
  }
  // numbers are judged on the text sent (the parsed double has lost it): refuse exactly those that would change
  const inexact = findInexactNumber(text)
  if (inexact) throw badRequest(inexact.message, { reason: inexact.reason, path: inexact.path })
  return value
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

const text = (value: unknown, field: string, max: number): string => {
  if (typeof value !== 'string' || value.length === 0) throw badRequest(`${field} must be a non-empty string`)
  if (value.length > max) throw badRequest(`${field} is longer than ${max} characters`)
  if (UNSAFE_TEXT.test(value)) throw badRequest(`${field} contains control characters or lone surrogates`)
  return value
}

const jsonObject = (value: unknown, field: string, limits: SyncLimits): JsonObject => {
  if (!isObject(value)) throw badRequest(`${field} must be a JSON object`)
  const unstorable = findUnstorable(value as JsonObject, limits.maxJsonDepth, field, false)
  if (unstorable)
    throw badRequest(
      unstorable.reason === 'TOO_DEEP' ? `${field} is nested deeper than ${limits.maxJsonDepth}` : unstorable.message,
      { reason: unstorable.reason, path: unstorable.path },
    )
  const bytes = Buffer.byteLength(JSON.stringify(value))
  if (bytes > limits.maxEventDataBytes)
    throw new SyncHttpError('PAYLOAD_TOO_LARGE', `${field} is ${bytes} bytes, more than ${limits.maxEventDataBytes}`)
  return value as JsonObject
}

/** Validates one event's shape; returns a copy with only the wire fields. */
export function parseEvent(value: unknown, index: number, limits: SyncLimits): WireEvent {
  const at = `events[${index}]`
  if (!isObject(value)) throw badRequest(`${at} must be an object`)
  if (typeof value.id !== 'string' || !EVENT_ID.test(value.id))
    throw badRequest(`${at}.id must match ^[0-9A-Za-z_-]{1,100}$ (e.g. a UUID)`)
  const { version } = value
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1)
    throw badRequest(`${at}.version must be a positive integer`)
  const event: WireEvent = {
    id: value.id,
    stream: text(value.stream, `${at}.stream`, limits.maxStreamLength),
    version,
    type: text(value.type, `${at}.type`, limits.maxTypeLength),
    data: jsonObject(value.data, `${at}.data`, limits),
  }
  if (value.meta !== undefined) event.meta = jsonObject(value.meta, `${at}.meta`, limits)
  return event
}

/** The id (and meta) of a malformed event when it has a valid id, so its refusal can name it and its command. */
function nameOf(value: unknown): NamedEvent | undefined {
  if (!isObject(value) || typeof value.id !== 'string' || !EVENT_ID.test(value.id)) return undefined
  return isObject(value.meta) ? { id: value.id, meta: value.meta } : { id: value.id }
}

/**
 * Validates every event of a batch. Events that can be named (they have a valid id) and are malformed for good
 * (bad fields, unstorable values, too large) are all collected, so the client can reject each command that
 * produced one and push the rest; an event without a usable id fails the batch at once.
 */
function parseEvents(events: unknown[], limits: SyncLimits): WireEvent[] {
  const parsed: WireEvent[] = []
  const refused: RefusedEvent[] = []
  for (const [index, value] of events.entries()) {
    try {
      parsed.push(parseEvent(value, index, limits))
    } catch (error) {
      const named = error instanceof SyncHttpError ? nameOf(value) : undefined
      if (!named || !(error instanceof SyncHttpError)) throw error
      refused.push(refusedEvent(named, error.code, error.message, error.details))
    }
  }
  const first = refused[0]
  if (!first) return parsed
  const more = refused.length > 1 ? ` (and ${refused.length - 1} more refused events)` : ''
  throw new SyncHttpError(first.code, `${first.message}${more}`, {
    ...(first.details === undefined ? {} : { details: first.details }),
    refused,
  })
}

/** Validates a push body `{ clientId, events }` (shape, sizes; not domain rules). */
export function parsePushRequest(body: unknown, limits: SyncLimits): PushRequest {
  if (!isObject(body)) throw badRequest('body must be a JSON object { clientId, events }')
  const clientId = text(body.clientId, 'clientId', limits.maxClientIdLength)
  const { events } = body
  if (!Array.isArray(events)) throw badRequest('events must be an array')
  if (events.length === 0) throw badRequest('events must not be empty')
  if (events.length > limits.maxBatchEvents)
    throw new SyncHttpError('PAYLOAD_TOO_LARGE', `a batch holds at most ${limits.maxBatchEvents} events`)
  return { clientId, events: parseEvents(events, limits) }
}

// what an `Authorization: Bearer <token>` header can carry: visible ASCII, no spaces (JWTs fit)
const BEARER_TOKEN = /^[\x21-\x7e]{1,8192}$/

/** Refuses fields a body part does not define (a typo must not be silently ignored). */
function onlyFields(value: Record<string, unknown>, fields: readonly string[], at: string): void {
  for (const key of Object.keys(value))
    if (!fields.includes(key)) throw badRequest(`${at} has an unknown field ${JSON.stringify(key.slice(0, 64))}`)
}

function parseSpaceCursor(value: unknown, index: number): SpaceCursor {
  const at = `spaces[${index}]`
  if (!isObject(value)) throw badRequest(`${at} must be an object { space, after, token? }`)
  onlyFields(value, ['space', 'after', 'token'], at)
  if (typeof value.space !== 'string') throw badRequest(`${at}.space must be a string`)
  const space = parseSpace(value.space, `${at}.space`)
  const { after, token } = value
  if (typeof after !== 'number' || !Number.isSafeInteger(after) || after < 0)
    throw badRequest(`${at}.after must be a non-negative integer`)
  if (token === undefined) return { space, after }
  if (typeof token !== 'string' || !BEARER_TOKEN.test(token))
    throw badRequest(`${at}.token must be a bearer token (1 to 8192 visible ASCII characters)`)
  return { space, after, token }
}

/** The `spaces` of a multi-space request: 1 to {@link MAX_SPACES_PER_REQUEST} distinct spaces. */
function parseSpaceCursors(value: unknown): SpaceCursor[] {
  if (!Array.isArray(value)) throw badRequest('spaces must be an array of { space, after, token? }')
  if (value.length === 0) throw badRequest('spaces must not be empty')
  if (value.length > MAX_SPACES_PER_REQUEST)
    throw badRequest(`spaces holds at most ${MAX_SPACES_PER_REQUEST} spaces (got ${value.length})`)
  const seen = new Set<string>()
  return value.map((entry, index) => {
    const cursor = parseSpaceCursor(entry, index)
    if (seen.has(cursor.space)) throw badRequest(`spaces[${index}]: space ${cursor.space} is listed twice`)
    seen.add(cursor.space)
    return cursor
  })
}

/** A validated `POST /v1/pull` body, its `limit` defaulted. */
export interface ParsedMultiPull {
  spaces: SpaceCursor[]
  /** Events per space at most: 1..`maxPullLimit`, `defaultPullLimit` when not sent. */
  limit: number
}

/** Validates a `POST /v1/pull` body `{ spaces: [{ space, after, token? }], limit? }`, strictly (no unknown fields). */
export function parseMultiPullRequest(body: unknown, limits: SyncLimits): ParsedMultiPull {
  if (!isObject(body)) throw badRequest('body must be a JSON object { spaces, limit? }')
  onlyFields(body, ['spaces', 'limit'], 'body')
  const spaces = parseSpaceCursors(body.spaces)
  const { limit } = body
  if (limit === undefined) return { spaces, limit: limits.defaultPullLimit }
  if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 1 || limit > limits.maxPullLimit)
    throw badRequest(`limit must be an integer from 1 to ${limits.maxPullLimit}`)
  return { spaces, limit }
}

/** Validates a `POST /v1/live` body `{ spaces: [{ space, after, token? }] }`, strictly (no unknown fields). */
export function parseMultiLiveRequest(body: unknown): { spaces: SpaceCursor[] } {
  if (!isObject(body)) throw badRequest('body must be a JSON object { spaces }')
  onlyFields(body, ['spaces'], 'body')
  return { spaces: parseSpaceCursors(body.spaces) }
}

/** Most subjects one `POST /v1/spaces/:space/subject-keys` may name. */
export const MAX_SUBJECTS_PER_REQUEST = 100

const subjectOf = (value: unknown, field: string): string => text(value, field, MAX_SUBJECT_LENGTH)

/**
 * Validates a `POST /v1/spaces/:space/subject-keys` body `{ subjects, create? }`, strictly (no unknown fields):
 * 1..{@link MAX_SUBJECTS_PER_REQUEST} distinct subjects of 1..`MAX_SUBJECT_LENGTH` characters, no control
 * characters or lone surrogates; `create` a boolean, false when absent.
 */
export function parseSubjectKeysRequest(body: unknown): Required<SubjectKeysRequest> {
  if (!isObject(body)) throw badRequest('body must be a JSON object { subjects, create? }')
  onlyFields(body, ['subjects', 'create'], 'body')
  const { subjects, create } = body
  if (!Array.isArray(subjects)) throw badRequest('subjects must be an array of strings')
  if (subjects.length === 0) throw badRequest('subjects must not be empty')
  if (subjects.length > MAX_SUBJECTS_PER_REQUEST)
    throw badRequest(`subjects holds at most ${MAX_SUBJECTS_PER_REQUEST} subjects (got ${subjects.length})`)
  const seen = new Set<string>()
  for (const [index, value] of subjects.entries()) {
    const subject = subjectOf(value, `subjects[${index}]`)
    if (seen.has(subject)) throw badRequest(`subjects[${index}] is listed twice`)
    seen.add(subject)
  }
  if (create !== undefined && typeof create !== 'boolean') throw badRequest('create must be a boolean')
  return { subjects: [...seen], create: create ?? false }
}

/** Validates a `POST /v1/spaces/:space/forget` body `{ subject }`, strictly (no unknown fields). */
export function parseForgetRequest(body: unknown): ForgetRequest {
  if (!isObject(body)) throw badRequest('body must be a JSON object { subject, proof? }')
  onlyFields(body, ['subject', 'proof'], 'body')
  const request: ForgetRequest = { subject: subjectOf(body.subject, 'subject') }
  if (body.proof !== undefined) {
    const { proof } = body
    if (!isEnvelope(proof) || Object.keys(proof).length !== 4 || JSON.stringify(proof).length > MAX_PROOF_LENGTH)
      throw badRequest(
        `proof must be an enc1 envelope { $cairn, kid, iv, ct } of at most ${MAX_PROOF_LENGTH} characters`,
      )
    request.proof = proof
  }
  return request
}

/** Longest forget proof (an envelope of a small JSON object). */
const MAX_PROOF_LENGTH = 2000
