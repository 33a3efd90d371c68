import type { ErrorBody, JsonValue, RefusedEvent, ServerErrorCode, StreamConflict } from '@cairn/core/protocol'
import type { Context } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'

/** HTTP status of each error code. */
export const STATUS_OF: Record<ServerErrorCode, ContentfulStatusCode> = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  ID_REUSED: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  UNKNOWN_EVENT_TYPE: 422,
  INVALID_EVENT_DATA: 422,
  NOT_ENCRYPTED: 422,
  RATE_LIMITED: 429,
  STORAGE_UNAVAILABLE: 503,
  INTERNAL: 500,
}

/** A request failure with a stable code; the app turns it into a JSON {@link ErrorBody}. */
export class SyncHttpError extends Error {
  readonly code: ServerErrorCode
  readonly details: JsonValue | undefined
  readonly streams: StreamConflict[] | undefined
  readonly head: number | undefined
  readonly headers: Record<string, string> | undefined
  readonly refused: RefusedEvent[] | undefined

  constructor(
    code: ServerErrorCode,
    message: string,
    extra: {
      details?: JsonValue
      streams?: StreamConflict[]
      head?: number
      headers?: Record<string, string>
      refused?: RefusedEvent[]
    } = {},
  ) {
    super(message)
    this.name = 'SyncHttpError'
    this.code = code
    this.details = extra.details
    this.streams = extra.streams
    this.head = extra.head
    this.headers = extra.headers
    this.refused = extra.refused
  }

  get status(): ContentfulStatusCode {
    return STATUS_OF[this.code]
  }

  toBody(): ErrorBody {
    const body: ErrorBody = { code: this.code, message: this.message }
    if (this.details !== undefined) body.details = this.details
    if (this.streams !== undefined) body.streams = this.streams
    if (this.head !== undefined) body.head = this.head
    if (this.refused !== undefined) body.refused = this.refused
    return body
  }
}

/**
 * `thrown` as an Error. Hooks (schemas, `authorize`, `authorizeEvent`) may throw anything — a string, a plain
 * object, `undefined` — and Hono's error handler only takes Errors: anything else would answer an empty 500 and
 * never reach `onError`.
 */
export function asError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown
  let text: string
  try {
    text = typeof thrown === 'string' ? thrown : (JSON.stringify(thrown) ?? String(thrown))
  } catch {
    text = String(thrown)
  }
  return new Error(`non-Error thrown: ${text}`, { cause: thrown })
}

/** Shorthand for a 400 `BAD_REQUEST`. */
export const badRequest = (message: string, details?: JsonValue): SyncHttpError =>
  new SyncHttpError('BAD_REQUEST', message, details === undefined ? {} : { details })

/** Writes an error as JSON with its status and extra headers. */
export function errorResponse(c: Context, error: SyncHttpError): Response {
  for (const [name, value] of Object.entries(error.headers ?? {})) c.header(name, value)
  return c.json(error.toBody(), error.status)
}
